"""The per-sample record that carries one answer from the model's output to the report.

Every stage reads and writes it: the task's scored item gives the first fields
(`SampleRecord.from_scored`), the diagnostics fill the parsed/judged ones (`JudgeVerdict`), the
attention probe adds `vas_attention` (`VasStats`), the report reads all. Stored as JSON Lines,
appended one record per line, so a killed run loses at most the line being written and a rerun
skips the keys already present.
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from videor2.jsonl import append_jsonl, iter_jsonl
from videor2.tasks.common.answers import parse_response
from videor2.tasks.common.scoring import ERROR_STATUSES, ScoredItem


def _from_dict(cls, data: dict, **extra):
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in {**data, **extra}.items() if k in names})


@dataclass
class BoxStats:
    """Box-plot statistics of a per-token series (percent); None when it has no token."""

    n_tokens: int = 0
    mean: float | None = None
    median: float | None = None
    q1: float | None = None
    q3: float | None = None
    whislo: float | None = None
    whishi: float | None = None


@dataclass
class VasStats(BoxStats):
    """A record's Video Attention Score statistics: over all response tokens, the <think> and the
    <answer> tokens, and where the per-token series lives (sidecar path, relative to the run)."""

    think: BoxStats = field(default_factory=BoxStats)
    answer: BoxStats = field(default_factory=BoxStats)
    sidecar: str | None = None

    @classmethod
    def from_dict(cls, data: dict | None, **extra) -> "VasStats":
        data = dict(data or {})
        for part in ("think", "answer"):
            if isinstance(data.get(part), dict):
                data[part] = _from_dict(BoxStats, data[part])
        return _from_dict(cls, data, **extra)


@dataclass
class JudgeVerdict:
    """What the TAC stage decided for a record: the judge's think conclusion and grounding score
    (raw replies kept) next to the rules' reading and the answer it was compared with."""

    spec: str | None = None           # the judge that produced it ("rules", "openai:...", "rules+...")
    model: str | None = None
    status: str = "ok"                # "ok" | "judge_error"
    error: str | None = None
    think: dict = field(default_factory=dict)      # {pred, status, source, raw, evidence, confidence, ...}
    grounding: dict | None = None                  # {score 0-10, rationale, status, raw, ...}; None: not judged
    rules_think_pred: Any = None
    rules_confidence: float | None = None
    answer_pred: Any = None
    prompt_sha: Any = None
    sampling: Any = None

    @classmethod
    def from_dict(cls, data: dict) -> "JudgeVerdict":
        data = dict(data)
        if "grounding" not in data and "score" in data:  # a bare {"score", "rationale"} grounding verdict
            data["grounding"] = {"score": data.pop("score"), "rationale": data.pop("rationale", None)}
        return _from_dict(cls, data)

    @property
    def grounding_score(self) -> float | None:
        return (self.grounding or {}).get("score")

    @property
    def grounding_rationale(self) -> str | None:
        return (self.grounding or {}).get("rationale")


@dataclass
class VariantResult:
    """The same document answered under a counterfactual input (models/variants.py): what the
    model answered and how it scored, joined to the real run's record by (benchmark, doc_id)."""

    status: str = "ok"
    response: str = ""
    pred: Any = None                 # robust reading of the answer (flips compare these)
    score: float | None = None
    ref_pred: Any = None
    ref_score: float | None = None   # reference score (variant accuracy)
    vas_attention: float | None = None  # mean VAS-attention under the variant (None: not recorded)

    @classmethod
    def from_record(cls, rec: "SampleRecord") -> "VariantResult":
        vas = rec.vas_attention.mean if rec.vas_attention is not None else None
        return cls(status=rec.status, response=rec.response, pred=rec.pred, score=rec.score, ref_pred=rec.ref_pred,
                   ref_score=rec.ref_score, vas_attention=vas)


def natural_key(doc_id) -> tuple:
    """Sort key of a doc_id: digit runs compare as numbers ("2" before "10", "q2" before "q10")."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                 for part in re.split(r"(\d+)", str(doc_id)) if part)


@dataclass
class SampleRecord:
    # identity
    benchmark: str                       # e.g. "mvbench" (videor2.tasks.registry.BENCHMARKS)
    doc_id: str                          # the document's id as a string (lmms-eval's index, or the input's id)
    model: str = ""
    # the item
    question: str = ""                   # the question as shown to the model (without the think post-prompt)
    options: list[str] = field(default_factory=list)   # option texts in order, letters implied A, B, ...
    answer_kind: str = "mc"              # "mc" | "numeric" | "open"
    ground_truth: Any = None             # letter, number or text
    category: str | None = None          # subtask / question type
    context: str = ""                    # the task's prompt text (question + think post-prompt)
    video_path: str = ""
    # the model's output
    response: str = ""                   # raw output, <think> included
    think: str | None = None
    answer_text: str | None = None
    parse_status: str = ""               # answers.ParsedResponse.status
    # scoring of the answer (from the task's scorer, mirrored here): robust ...
    pred: Any = None                     # parsed letter / number / text from <answer>
    score: float | None = None           # 0..1 (MRA for VSI numeric items)
    correct: bool | None = None
    # ... and by the benchmark's reference rule (tasks/common/reference.py)
    ref_pred: Any = None
    ref_score: float | None = None       # None: outside the reference's denominator
    ref_flags: list[str] = field(default_factory=list)  # untagged, non_letter, fallback, excluded, no_reference
    # think-answer consistency (diagnostics.tac)
    think_pred: Any = None               # what the think concludes; "UNKNOWN" when nothing explicit
    think_correct: bool | None = None
    consistent: bool | None = None
    tac_source: str | None = None        # "rules" or the judge spec that produced think_pred
    think_evidence: str | None = None    # the sentence the rules read think_pred from (None for an LLM judge)
    think_confidence: float | None = None  # the rules' confidence in think_pred (0-1)
    # video attention (diagnostics.vas): statistics only; the series lives in the sidecar file
    vas_attention: VasStats | None = None
    # judged visual grounding (0-10) and everything the judge returned
    judge: JudgeVerdict | None = None
    # the same document under counterfactual inputs: variant name -> result (joined at report time)
    variants: dict[str, VariantResult] = field(default_factory=dict)
    # overall state of this record: "ok" or the first failing stage's status
    status: str = "ok"
    error: str | None = None

    def __setattr__(self, name, value):
        # the typed fields stay typed however they are set (constructor, replace, assignment)
        if name == "doc_id":
            value = str(value)
        elif name == "vas_attention" and isinstance(value, dict):
            value = VasStats.from_dict(value)
        elif name == "judge" and isinstance(value, dict):
            value = JudgeVerdict.from_dict(value)
        elif name == "variants":
            value = {k: _from_dict(VariantResult, v) if isinstance(v, dict) else v for k, v in (value or {}).items()}
        object.__setattr__(self, name, value)

    @property
    def key(self) -> tuple[str, str]:
        return (self.benchmark, self.doc_id)

    @property
    def sort_key(self) -> tuple:
        return natural_key(self.doc_id)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "SampleRecord":
        return _from_dict(cls, data)

    @classmethod
    def from_scored(cls, item: ScoredItem, *, benchmark: str, doc_id, response: str, model: str = "",
                    context: str = "", video_path: str = "") -> "SampleRecord":
        """The one place a record is built from a task's scored item (lmms-eval logs and `videor2 tac`
        inputs alike). The record's status is the item's when the sample could not be answered at
        all (broken video, failed generation), else "ok": an unparsable or tagless answer is a
        wrong answer, not a failed sample."""
        parsed = parse_response(response)
        return cls(benchmark=benchmark, doc_id=doc_id, model=model, question=item.question or "",
                   options=list(item.options), answer_kind=item.kind, ground_truth=item.gt, category=item.category,
                   context=context, video_path=video_path, response=response, think=parsed.think,
                   answer_text=parsed.answer, parse_status=parsed.status, pred=item.pred, score=item.score,
                   correct=None if item.score is None else item.score >= 1.0, ref_pred=item.ref_pred,
                   ref_score=item.ref_score, ref_flags=list(item.ref_flags),
                   status=item.status if item.status in ERROR_STATUSES else "ok", error=item.error)


def read_records(path: str | os.PathLike) -> list[SampleRecord]:
    """All complete records of a JSONL file; a torn last line (killed writer) is ignored."""
    return [SampleRecord.from_dict(d) for d in iter_jsonl(path)]


class RecordLog:
    """Append-only JSONL of records with the index of keys already done (for resume)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.done = {SampleRecord.from_dict(d).key for d in iter_jsonl(self.path)}

    def __contains__(self, key: tuple[str, str]) -> bool:
        return (key[0], str(key[1])) in self.done

    def append(self, records: Iterable[SampleRecord]) -> None:
        records = list(records)
        append_jsonl(self.path, (r.to_dict() for r in records), default=_json_default, fsync=True)
        self.done.update(r.key for r in records)


def _json_default(obj):
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
