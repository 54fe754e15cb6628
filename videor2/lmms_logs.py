"""Reading lmms-eval output folders into per-sample records.

`lmms-eval --log_samples --output_path OUT` writes OUT/<model>/<date>_samples_<task>.jsonl and
<date>_results.json. Each sample line of our tasks holds `doc_id`, `resps` (raw output, <think>
kept because the tasks set reasoning_tags: none), `input` (the prompt) and the scorer's item
under `videor2_acc` (pred, gt, status, kind, category, question, options, score), so a log alone
is enough to rebuild the records.
"""

from __future__ import annotations

import re
from pathlib import Path

from videor2.tasks.registry import BENCHMARKS, benchmark_of
from videor2.records import SampleRecord, iter_jsonl
from videor2.tasks.common.answers import parse_response
from videor2.tasks.common.scoring import PRIMARY_METRIC

_SAMPLES = re.compile(r"_samples_(videor2_[a-z0-9_]+)\.jsonl$")


def sample_log_files(path: str | Path) -> dict[str, Path]:
    """task -> newest sample log under `path` (searched recursively)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such lmms-eval output folder: {path}")
    found: dict[str, Path] = {}
    for f in sorted(path.rglob("*_samples_*.jsonl")):
        m = _SAMPLES.search(f.name)
        if m and benchmark_of(m.group(1)) in BENCHMARKS:
            if m.group(1) not in found or f.stat().st_mtime >= found[m.group(1)].stat().st_mtime:
                found[m.group(1)] = f
    return found


def _raw_response(row: dict) -> str:
    # the CLI's logs drop `resps` when equal to `filtered_resps` (no filter changes our outputs)
    resp = row.get("resps", row.get("filtered_resps"))
    while isinstance(resp, list):
        resp = resp[0] if resp else ""
    return resp if isinstance(resp, str) else ""


def record_from_log_row(task: str, row: dict, model: str = "") -> SampleRecord:
    item = row.get(PRIMARY_METRIC) or {}
    response = _raw_response(row)
    doc = row.get("doc") or {}
    args = row.get("arguments") or [row.get("input")]
    context = args[0] if args and isinstance(args[0], str) else ""
    parsed = parse_response(response)
    status = item.get("status", "ok")
    return SampleRecord(
        benchmark=benchmark_of(task),
        doc_id=row.get("doc_id"),
        model=model,
        question=item.get("question", ""),
        options=list(item.get("options") or []),
        answer_kind=item.get("kind", "mc"),
        ground_truth=item.get("gt", row.get("target")),
        category=item.get("category"),
        context=context,
        video_path=str(doc.get("video_path") or ""),
        response=response,
        think=parsed.think,
        answer_text=parsed.answer,
        parse_status=parsed.status,
        pred=item.get("pred"),
        score=item.get("score"),
        correct=None if item.get("score") is None else item.get("score", 0.0) >= 1.0,
        status="ok" if status in ("ok", "no_answer_tag", "truncated", "unparsable") else status,
        error=item.get("error"),
    )


def read_lmms_logs(path: str | Path, model: str = "") -> list[SampleRecord]:
    """Records of every videor2 sample log under `path`, in (benchmark order, doc_id) order."""
    records = []
    for task, f in sample_log_files(path).items():
        records.extend(record_from_log_row(task, row, model) for row in iter_jsonl(f))
    order = {b: i for i, b in enumerate(BENCHMARKS)}
    records.sort(key=lambda r: (order[r.benchmark], str(r.doc_id)))
    return records
