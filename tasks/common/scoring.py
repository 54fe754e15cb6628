"""Per-sample scoring and per-benchmark aggregation shared by the suite's tasks.

A document is scored against its `AnswerKey` twice: by the reference rule of its benchmark (the
Video-R2 evaluation fork's own extraction and scoring, `reference.py`; comparable to the paper) and
by the project's robust parser (`answers`, never guessing). The result is a `ScoredItem`, which every
benchmark's `process_results` returns (as a dict) under each of its metric keys. lmms-eval writes it
to the sample log, so each log line carries both predictions, the ground truth and a status:
`ok`, `no_answer_tag` (no <answer>; the whole output was scored), `truncated`, `unparsable`
(no option/number found: wrong, never a random letter), `video_error`, `generation_error`.

`videor2_acc`, the score the groups average, follows VIDEOR2_SCORING: `reference` (default) or
`robust`; `reference_acc` and `robust_acc` are always reported beside it.
"""

from __future__ import annotations

import dataclasses
import os
from collections import defaultdict
from dataclasses import dataclass, field
from statistics import mean
from typing import Any

from videor2.errors import STATUSES as ERROR_STATUSES
from videor2.errors import parse_error_response
from videor2.tasks.common import answers

PRIMARY_METRIC = "videor2_acc"  # the one score per benchmark that the groups average
ERROR_METRIC = "errors"
REFERENCE_METRIC = "reference_acc"
ROBUST_METRIC = "robust_acc"
SCORING_ENV = "VIDEOR2_SCORING"
SCORING_MODES = ("reference", "robust")


def scoring_mode() -> str:
    """The scoring behind `videor2_acc` and the breakdowns: VIDEOR2_SCORING, default reference."""
    mode = os.environ.get(SCORING_ENV, "").strip() or "reference"
    if mode not in SCORING_MODES:
        raise ValueError(f"{SCORING_ENV}={mode!r}: expected one of {SCORING_MODES}")
    return mode


def score_key(mode: str | None = None) -> str:
    """The item field a mode scores by."""
    return "ref_score" if (mode or scoring_mode()) == "reference" else "score"


ANSWER_KINDS = ("mc", "numeric", "open")


@dataclass
class AnswerKey:
    """What one document is scored against; every benchmark's `answer_key(doc)` returns one.

    kind "numeric" is scored by Mean Relative Accuracy (VSI-Bench), "open" by
    `answers.open_ended_match` (Video-MMMU), "mc" by the option letter."""

    kind: str                         # "mc" | "numeric" | "open"
    gt: Any                           # letter | number | text
    options: list[str] = field(default_factory=list)   # option texts in order (letters implied)
    question: str = ""                # the question as shown, without the think post-prompt
    category: str | None = None       # subtask / question type (the breakdowns)
    stem: str = ""                    # the bare question, for prompts that rebuild it (native protocol)
    raw_options: list[str] | None = None  # the options as the dataset stores them, where a reference rule reads them

    def __post_init__(self):
        if self.kind not in ANSWER_KINDS:
            raise ValueError(f"unknown answer kind {self.kind!r} (expected one of {ANSWER_KINDS})")
        self.options = [str(o) for o in (self.options or [])]


@dataclass
class ScoredItem:
    """One response scored against its key. It repeats the key so that a sample log alone is
    enough for the diagnostics."""

    score: float | None               # 0..1 (MRA for numeric items); None only when read from a foreign log
    pred: Any                         # letter | number | text | None (nothing parsable)
    gt: Any
    status: str = "ok"
    kind: str = "mc"
    category: str | None = None
    question: str = ""
    options: list[str] = field(default_factory=list)
    error: str | None = None
    # the benchmark's reference rule (reference.py): its prediction, score (None: out of the
    # reference's denominator) and flags (untagged, non_letter, fallback, excluded)
    ref_pred: Any = None
    ref_score: float | None = None
    ref_flags: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The sample-log form (`error` only when there is one)."""
        out = dataclasses.asdict(self)
        if out["error"] is None:
            del out["error"]
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "ScoredItem":
        names = {f.name for f in dataclasses.fields(cls)}
        data = {k: v for k, v in (data or {}).items() if k in names}
        data.setdefault("score", None)
        data.setdefault("pred", None)
        data.setdefault("gt", None)
        data["options"] = list(data.get("options") or [])
        return cls(**data)


def response_text(results) -> str:
    """lmms-eval passes a list with the model's string (after filters)."""
    if isinstance(results, (list, tuple)):
        results = results[0] if results else ""
    return results if isinstance(results, str) else ""


def answer_item(key: AnswerKey, response: str, reference=None) -> ScoredItem:
    """Score one response against a document's answer key: robustly, and by the benchmark's
    `reference(response, key)` rule (a sample that could not be answered scores 0 in both). Without a
    reference rule (a benchmark outside the paper's) the reference fields repeat the robust ones."""
    item = ScoredItem(score=0.0, pred=None, gt=key.gt, kind=key.kind, category=key.category,
                      question=key.question, options=list(key.options), ref_score=0.0)
    err = parse_error_response(response)
    if err is not None:
        item.status, item.error = err
        return item
    if reference is not None:
        ref = reference(response, key)
        item.ref_pred, item.ref_score, item.ref_flags = ref.pred, ref.score, list(ref.flags)
    text, status = answers.final_answer(response)
    if key.kind == "mc":
        pred = answers.option_letter(text, options=item.options or None, n_options=len(item.options) or None)
        score = float(pred is not None and pred == str(key.gt).strip().upper())
    elif key.kind == "numeric":
        pred = answers.parse_number(text)
        score = answers.mean_relative_accuracy(pred, float(key.gt))
    else:
        pred = text.strip() or None
        score = float(answers.open_ended_match(pred, str(key.gt)))
    if pred is None and status == "ok":
        status = "unparsable"
    item.score, item.pred, item.status = score, pred, status
    if reference is None:
        item.ref_pred, item.ref_score, item.ref_flags = pred, score, ["no_reference"]
    return item


def process_results_for(answer_key, metrics: list[str], own_breakdown: dict[str, str] | None = None,
                        reference=None):
    """Build a benchmark's `process_results(doc, results)` from its `answer_key(doc)` and reference
    rule: the same item under each metric name of the task's YAML (lmms-eval hands each metric its list).

    `own_breakdown` ({metric: category}): those breakdown metrics get only the docs of their own
    category (the item's `category`); lmms-eval aggregates just the metrics process_results
    returns, so a category absent from the data is left out of the results altogether."""
    metrics = list(metrics)
    if PRIMARY_METRIC not in metrics or ERROR_METRIC not in metrics:
        raise ValueError(f"a benchmark must report {PRIMARY_METRIC!r} and {ERROR_METRIC!r}")
    own = dict(own_breakdown or {})

    def process_results(doc, results):
        item = answer_item(answer_key(doc), response_text(results), reference)
        logged = item.to_dict()
        return {name: logged for name in metrics if name not in own or own[name] == item.category}

    return process_results


# ---------------------------------------------------------------- aggregation (percent)

def _pct(values) -> float:
    values = list(values)
    return 100.0 * mean(values) if values else 0.0


def micro_accuracy(items: list[dict]) -> float:
    """Mean per-sample (robust) score, in percent."""
    return _pct(i["score"] for i in items)


def by_category(items: list[dict], key: str = "score") -> dict[str, float]:
    """Percent per category of the items' `key` score; items where it is None are left out."""
    groups: dict[str, list[float]] = defaultdict(list)
    for i in items:
        if i.get(key) is not None:
            groups[i.get("category") or "all"].append(i[key])
    return {k: _pct(v) for k, v in sorted(groups.items())}


def macro_accuracy(items: list[dict]) -> float:
    """Unweighted mean over categories of the per-category accuracy, in percent."""
    cats = by_category(items)
    return mean(cats.values()) if cats else 0.0


def category_accuracy(category: str):
    """An aggregation reporting one category's accuracy (a breakdown metric), in percent; None
    (JSON null, "N/A" in lmms-eval's table) when no item has that category, never NaN (not
    valid JSON in results.json)."""

    def aggregate(items: list[dict]) -> float | None:
        key = score_key()
        scores = [i[key] for i in items if i.get("category") == category and i.get(key) is not None]
        return _pct(scores) if scores else None

    aggregate.__name__ = f"category_{category}"
    return aggregate


def error_count(items: list[dict]) -> int:
    """Samples that could not be answered at all (broken video, failed generation)."""
    return sum(1 for i in items if i.get("status") in ERROR_STATUSES)
