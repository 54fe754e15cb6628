"""Per-sample Think-Answer Consistency fields (definitions: docs/TAC.md).

`apply_tac(records, judge)` fills, per record: `think_pred` (the think's last explicit conclusion:
letter / number / text, or "UNKNOWN"), `think_correct`, `consistent` (think conclusion == the
answer's parsed prediction `record.pred`; UNKNOWN is never consistent; numbers equal within 5 %
relative), `tac_source` (the judge spec) and `judge` (everything the judge returned, the rule
extractor's conclusion beside it, prompt hashes). Records whose generation failed
(video_error / generation_error) get none of these. A judge failure leaves think_pred/consistent
None and `judge.status == "judge_error"` (counted, never scored).

With a RecordLog, finished records are appended as they complete and records already in the log
are returned as they were (resume); the judge's reply cache makes the rest of a resumed run cheap.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from typing import Iterable

from videor2.diagnostics.judge import Judge, JudgeItem
from videor2.diagnostics.think import UNKNOWN, answer_prediction, conclude, is_correct, reasoning_text, same_value
from videor2.records import JudgeVerdict, RecordLog, SampleRecord, read_records
from videor2.tasks.common.scoring import ERROR_STATUSES


def answer_pred(rec: SampleRecord):
    """The answer TAC compares with: the final answer read by diagnostics.think.answer_prediction
    (the last <answer> block, or a marked final answer; UNKNOWN when the output gives none, e.g. cut
    off in its reasoning). Accuracy keeps the benchmark scorer's reading (`rec.pred`), which by the
    reference's rule scores the whole output when there is no <answer> tag."""
    if rec.response:
        return answer_prediction(rec.response, rec.options, rec.answer_kind)
    if rec.pred is None or rec.pred == "":
        return UNKNOWN
    return rec.pred


def answer_correct(rec: SampleRecord) -> bool:
    """Answer correct for the TAC variants: letter equal; VSI numeric within 5 % relative."""
    return is_correct(answer_pred(rec), rec.ground_truth, rec.answer_kind)


def _think_text(rec: SampleRecord) -> str | None:
    """The reasoning read from the response (diagnostics.think.reasoning_text: think blocks, an
    unclosed think, or the text before <answer>); records without a response keep their think."""
    if rec.response:
        return reasoning_text(rec.response)
    return rec.think


def _fill(rec: SampleRecord, res: dict, judge: Judge) -> SampleRecord:
    rec = dataclasses.replace(rec)
    think = _think_text(rec)
    rules = conclude(think, rec.options, rec.answer_kind, rec.question)
    t = res.get("think") or {}
    pred = t.get("pred") if t.get("status") == "ok" else None
    rec.tac_source = judge.spec
    source = t.get("source", "judge")
    # the span a conclusion was read from, where the rules read it (an LLM judge gives none)
    rec.think_evidence = t.get("evidence") if source == "rules" else None
    rec.think_confidence = t.get("confidence") if source == "rules" else None
    if pred is None:
        rec.think_pred, rec.think_correct, rec.consistent = None, None, None
    else:
        rec.think_pred = pred
        rec.think_correct = is_correct(pred, rec.ground_truth, rec.answer_kind)
        rec.consistent = same_value(pred, answer_pred(rec), rec.answer_kind)
    desc = judge.describe()
    rec.judge = JudgeVerdict(spec=judge.spec, model=desc.get("model"), status=res.get("status", "ok"),
                             error=res.get("error"), think=t, grounding=res.get("grounding"),
                             rules_think_pred=rules.value, rules_confidence=rules.confidence,
                             answer_pred=answer_pred(rec), prompt_sha=desc.get("prompt_sha"),
                             sampling=desc.get("sampling"))
    return rec


def apply_tac(records: Iterable[SampleRecord], judge: Judge, log: RecordLog | str | None = None,
              progress: bool = True, flush_every: int = 32) -> list[SampleRecord]:
    records = list(records)
    if isinstance(log, (str, bytes)) or (log is not None and not isinstance(log, RecordLog)):
        log = RecordLog(log)
    done: dict = {}
    if log is not None and log.done:
        done = {r.key: r for r in read_records(log.path)}
    out: list[SampleRecord | None] = [None] * len(records)
    todo_idx, items, passthrough = [], [], []
    for i, rec in enumerate(records):
        if rec.key in done:
            out[i] = done[rec.key]
        elif rec.status in ERROR_STATUSES:
            r = dataclasses.replace(rec, think_pred=None, think_correct=None, consistent=None, tac_source=None, judge=None)
            out[i] = r
            passthrough.append(r)
        else:
            todo_idx.append(i)
            items.append(JudgeItem(rec.key, rec.answer_kind or "mc", rec.question or "", list(rec.options or []),
                                   _think_text(rec)))
    if log is not None and passthrough:
        log.append(passthrough)

    bar = _progress(len(items), progress, judge.spec)
    buffer: list[SampleRecord] = []
    last_flush = time.monotonic()

    def on_done(j: int, res: dict) -> None:
        nonlocal last_flush
        i = todo_idx[j]
        rec = _fill(records[i], res, judge)
        out[i] = rec
        buffer.append(rec)
        if bar is not None:
            bar.update(1)
        if log is not None and (len(buffer) >= flush_every or time.monotonic() - last_flush > 2.0):
            log.append(buffer)
            buffer.clear()
            last_flush = time.monotonic()

    try:
        if items:
            judge.judge_many(items, on_done)
    finally:
        if log is not None and buffer:
            log.append(buffer)
        if bar is not None:
            bar.close()
    return [r for r in out if r is not None]


def _progress(total: int, enabled: bool, desc: str):
    if not enabled or total == 0:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=f"TAC ({desc.split('#')[0][:40]})", unit="sample", file=sys.stderr,
                mininterval=0.5, dynamic_ncols=True)
