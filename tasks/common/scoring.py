"""Per-sample scoring and per-benchmark aggregation shared by the 11 tasks.

Every benchmark's `process_results` returns the same per-sample item under each of its metric
keys: {"score", "pred", "gt", "status", "kind", "category"}. The item is what lmms-eval writes to
the sample log, so each log line carries the parsed prediction, the ground truth and a status:
`ok`, `no_answer_tag` (no <answer>; the whole output was scored), `truncated`, `unparsable`
(no option/number found: wrong, never a random letter), `video_error`, `generation_error`.
"""

from __future__ import annotations

from collections import defaultdict
from statistics import mean

from videor2.errors import parse_error_response
from videor2.tasks.common import answers

PRIMARY_METRIC = "videor2_acc"  # the one score per benchmark that the groups average
ERROR_METRIC = "errors"
ERROR_STATUSES = ("video_error", "generation_error")


def response_text(results) -> str:
    """lmms-eval passes a list with the model's string (after filters)."""
    if isinstance(results, (list, tuple)):
        results = results[0] if results else ""
    return results if isinstance(results, str) else ""


def answer_item(key: dict, response: str) -> dict:
    """Score one response against a document's answer key.

    `key` is what every benchmark's `answer_key(doc)` returns:
    {"kind": "mc" | "numeric" | "open", "gt": letter | number | text, "options": [texts],
     "question": text without the think post-prompt, "category": str | None}.
    kind "numeric" is scored by Mean Relative Accuracy (VSI-Bench); "open" by
    `answers.open_ended_match` (Video-MMMU). The returned item also repeats the key, so that the
    sample log alone is enough for the diagnostics.
    """
    kind = key["kind"]
    gt = key["gt"]
    item = {"score": 0.0, "pred": None, "gt": gt, "status": "ok", "kind": kind,
            "category": key.get("category"), "question": key.get("question", ""),
            "options": list(key.get("options") or [])}
    err = parse_error_response(response)
    if err is not None:
        item["status"], item["error"] = err
        return item
    text, status = answers.final_answer(response)
    if kind == "mc":
        pred = answers.option_letter(text, options=item["options"] or None, n_options=len(item["options"]) or None)
        score = float(pred is not None and pred == str(gt).strip().upper())
    elif kind == "numeric":
        pred = answers.parse_number(text)
        score = answers.mean_relative_accuracy(pred, float(gt))
    elif kind == "open":
        pred = text.strip() or None
        score = float(answers.open_ended_match(pred, str(gt)))
    else:
        raise ValueError(f"unknown answer kind {kind!r}")
    if pred is None and status == "ok":
        status = "unparsable"
    item.update(score=score, pred=pred, status=status)
    return item


def process_results_for(answer_key, metrics: list[str], own_breakdown: dict[str, str] | None = None):
    """Build a benchmark's `process_results(doc, results)` from its `answer_key(doc)`: the same
    item under each metric name of the task's YAML (lmms-eval hands each metric its list).

    `own_breakdown` ({metric: category}): those breakdown metrics get only the docs of their own
    category (the item's `category`); lmms-eval aggregates just the metrics process_results
    returns, so a category absent from the data is left out of the results altogether."""
    metrics = list(metrics)
    if PRIMARY_METRIC not in metrics or ERROR_METRIC not in metrics:
        raise ValueError(f"a benchmark must report {PRIMARY_METRIC!r} and {ERROR_METRIC!r}")
    own = dict(own_breakdown or {})

    def process_results(doc, results):
        item = answer_item(answer_key(doc), response_text(results))
        return {name: item for name in metrics if name not in own or own[name] == item["category"]}

    return process_results


# ---------------------------------------------------------------- aggregation (percent)

def _pct(values) -> float:
    values = list(values)
    return 100.0 * mean(values) if values else 0.0


def micro_accuracy(items: list[dict]) -> float:
    """Mean per-sample score, in percent."""
    return _pct(i["score"] for i in items)


def by_category(items: list[dict]) -> dict[str, float]:
    groups: dict[str, list[float]] = defaultdict(list)
    for i in items:
        groups[i.get("category") or "all"].append(i["score"])
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
        scores = [i["score"] for i in items if i.get("category") == category]
        return _pct(scores) if scores else None

    aggregate.__name__ = f"category_{category}"
    return aggregate


def category_aggregations(breakdown: dict[str, str]) -> dict[str, object]:
    """{`aggregate_<metric>`: category_accuracy(category)} for a benchmark's breakdown metrics
    ({metric: category}), to put in its utils module (`globals().update(...)`) for the YAML."""
    return {f"aggregate_{metric}": category_accuracy(category) for metric, category in breakdown.items()}


def error_count(items: list[dict]) -> int:
    """Samples that could not be answered at all (broken video, failed generation)."""
    return sum(1 for i in items if i.get("status") in ERROR_STATUSES)
