"""The per-sample record that carries one answer from the model's output to the report.

Every stage reads and writes it (DESIGN.md): the task logs give the first fields, the diagnostics
fill the parsed/judged ones, the attention probe adds `vas_attention`, the report reads all.
Stored as JSON Lines, appended one record per line, so a killed run loses at most the line being
written and a rerun skips the keys already present.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from videor2.jsonl import append_jsonl, iter_jsonl


@dataclass
class SampleRecord:
    # identity
    benchmark: str                       # e.g. "mvbench" (see videor2.BENCHMARKS)
    doc_id: int | str
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
    # scoring of the answer (from the task's own scorer, mirrored here)
    pred: Any = None                     # parsed letter / number / text from <answer>
    score: float | None = None           # 0..1 (MRA for VSI numeric items)
    correct: bool | None = None
    # think-answer consistency (diagnostics.tac)
    think_pred: Any = None               # what the think concludes; "UNKNOWN" when nothing explicit
    think_correct: bool | None = None
    consistent: bool | None = None
    tac_source: str | None = None        # "rules" or the judge spec that produced think_pred
    think_evidence: str | None = None    # the sentence the rules read think_pred from (None for an LLM judge)
    think_confidence: float | None = None  # the rules' confidence in think_pred (0-1)
    # video attention (diagnostics.vas): statistics only; the series lives in the sidecar file
    vas_attention: dict | None = None
    # judged visual grounding (0-10) and everything the judge returned
    judge: dict | None = None
    # overall state of this record: "ok" or the first failing stage's status
    status: str = "ok"
    error: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.benchmark, str(self.doc_id))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "SampleRecord":
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


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
