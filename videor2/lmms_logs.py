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

from videor2.jsonl import iter_jsonl
from videor2.records import SampleRecord
from videor2.tasks.common.scoring import PRIMARY_METRIC, ScoredItem
from videor2.tasks.registry import BENCHMARKS, benchmark_of

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
    item = ScoredItem.from_dict(row.get(PRIMARY_METRIC) or {})
    if item.gt is None:
        item.gt = row.get("target")
    args = row.get("arguments") or [row.get("input")]
    return SampleRecord.from_scored(item, benchmark=benchmark_of(task), doc_id=row.get("doc_id"), model=model,
                                    response=_raw_response(row),
                                    context=args[0] if args and isinstance(args[0], str) else "",
                                    video_path=str((row.get("doc") or {}).get("video_path") or ""))


def read_lmms_logs(path: str | Path, model: str = "") -> list[SampleRecord]:
    """Records of every videor2 sample log under `path`, in (benchmark order, doc_id) order."""
    records = []
    for task, f in sample_log_files(path).items():
        records.extend(record_from_log_row(task, row, model) for row in iter_jsonl(f))
    order = {b: i for i, b in enumerate(BENCHMARKS)}
    records.sort(key=lambda r: (order[r.benchmark], r.sort_key))
    return records
