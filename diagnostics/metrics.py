"""One registry of the report's columns: a metric is declared once, here (or by `register`).

Each `Metric` says what it is (label, doc), how a sample contributes (`value`), how a benchmark's
number is formed (`kind`) and where it is shown. summary.csv (diagnostics.summary), the HTML table
and its column docs (reports.html), the comparison tables (reports.compare) and the console tables
(`console_table`) all read this registry, in its order.

Kinds:
- `mean`: per-sample value in percent (NaN = the sample does not count); the benchmark's number is
  the mean, with a percentile-bootstrap 95 % interval (`_lo`, `_hi`); suite rows average the
  benchmarks unweighted with a stratified bootstrap. `aggregate` replaces the plain mean where a
  benchmark defines its own score (accuracy). `interval=False`: the mean alone.
- `median`: the median over samples of a per-sample value, with its bootstrap interval.
- `count`: per-sample 0/1 summed (suite rows: the sum).
- `info`: a per-benchmark value computed from the rows' other columns (`info`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from videor2.diagnostics import reliance as R
from videor2.diagnostics.tac import answer_correct, answer_pred
from videor2.diagnostics.think import UNKNOWN, is_correct, same_value
from videor2.records import SampleRecord
from videor2.tasks.common.reference import micro as reference_micro
from videor2.tasks.common.scoring import ERROR_STATUSES, micro_accuracy
from videor2.tasks.registry import BY_NAME

NAN = float("nan")


@dataclass(frozen=True)
class Metric:
    name: str
    label: str                       # header in the HTML and the comparison figures
    doc: str                         # what it means (HTML column docs)
    kind: str = "mean"               # mean | median | count | info (module docstring)
    value: Callable[[SampleRecord], float] | None = None
    aggregate: Callable | None = None  # (benchmark, records, bootstrap indices) -> (value, distribution)
    info: Callable | None = None       # (benchmark row dict, records) -> value; average rows: (rows of members) -> value
    interval: bool = True
    short: str = ""                  # console header (default: the name)
    console: bool = False
    compare: bool = False            # a comparison table / heatmap per metric
    html: bool = True                # a column of the HTML summary table
    flag: str | None = None          # an info column whose truth marks this value (e.g. a lower bound)

    @property
    def columns(self) -> list[str]:
        if self.kind in ("mean", "median") and self.interval:
            return [self.name, f"{self.name}_lo", f"{self.name}_hi"]
        return [self.name]


_REGISTRY: dict[str, Metric] = {}


def register(metric: Metric, after: str | None = None) -> Metric:
    """Add (or replace) a metric; placed after `after` (default: at the end)."""
    global _REGISTRY
    items = [(k, v) for k, v in _REGISTRY.items() if k != metric.name]
    at = len(items) if after is None else next(i for i, (k, _) in enumerate(items) if k == after) + 1
    items.insert(at, (metric.name, metric))
    _REGISTRY = dict(items)
    return metric


def unregister(name: str) -> None:
    _REGISTRY.pop(name, None)


def metrics(kind: str | None = None) -> list[Metric]:
    return [m for m in _REGISTRY.values() if kind is None or m.kind == kind]


def get(name: str) -> Metric:
    return _REGISTRY[name]


def summary_columns() -> list[str]:
    return ["benchmark", "group"] + [c for m in _REGISTRY.values() for c in m.columns]


def compared() -> list[Metric]:
    return [m for m in _REGISTRY.values() if m.compare]


def labels() -> dict[str, str]:
    return {m.name: m.label for m in _REGISTRY.values()}


# ---------------------------------------------------------------- per-sample values (built-ins)

def _failed(rec: SampleRecord) -> bool:
    return rec.status in ERROR_STATUSES


def _tac_known(rec: SampleRecord) -> bool:
    """A sample counts for TAC when it was answered and its think conclusion is known."""
    return not _failed(rec) and rec.consistent is not None and rec.think_pred is not None


def _think_correct(rec: SampleRecord) -> bool:
    if rec.think_correct is not None:
        return bool(rec.think_correct)
    return is_correct(rec.think_pred, rec.ground_truth, rec.answer_kind)


def _accuracy(rec):
    """Per-sample reference score in percent (NaN where the reference leaves the sample out)."""
    if _failed(rec):
        return 0.0
    return NAN if rec.ref_score is None else 100.0 * float(rec.ref_score)


def _accuracy_robust(rec):
    return 0.0 if _failed(rec) or rec.score is None else 100.0 * float(rec.score)


def _tac(rec):
    return 100.0 * bool(rec.consistent) if _tac_known(rec) else NAN


def _coverage(rec):
    return 100.0 * (rec.think_pred != UNKNOWN) if _tac_known(rec) else NAN


def _tac_corr(rec):
    return 100.0 * (answer_correct(rec) == _think_correct(rec)) if _tac_known(rec) else NAN


def _tac_cond(rec):
    if not _tac_known(rec) or not answer_correct(rec):
        return NAN
    return 100.0 * _think_correct(rec)


def _vas_attention(rec):
    att = rec.vas_attention.mean if rec.vas_attention is not None else None
    return float(att) if isinstance(att, (int, float)) and math.isfinite(att) else NAN


def _vas_judge(rec):
    g = rec.judge.grounding if rec.judge is not None else None
    if not _failed(rec) and isinstance(g, dict) and g.get("status") == "ok" and isinstance(g.get("score"), (int, float)):
        return 10.0 * float(g["score"])
    return NAN


def _judge_rules_agreement(rec):
    j = rec.judge
    if j is None or (j.spec or "rules") == "rules" or rec.think_pred is None:
        return NAN
    rules = j.rules_think_pred
    if rules == UNKNOWN or rec.think_pred == UNKNOWN:
        return 100.0 * (rules == rec.think_pred)
    return 100.0 * same_value(rec.think_pred, rules, rec.answer_kind)


# With the rules judge, a think conclusion the extractor misses counts as UNKNOWN, i.e. inconsistent:
# on labelled real outputs a third (dev sources) to a half (held-out sources) of the rules' UNKNOWNs did conclude (tests/tac_real,
# scripts/bench_extractor.py). Below this coverage the report calls the rules' TAC a lower bound.
LOWER_BOUND_COVERAGE = 90.0


def _tac_judge(row: dict, recs) -> str:
    if recs is None:  # an average row: every judge of its benchmarks
        return ",".join(sorted({j for r in row for j in str(r["tac_judge"]).split(",") if j}))
    return ",".join(sorted({r.tac_source for r in recs if r.tac_source}))


def _tac_lower_bound(row, recs) -> bool:
    if recs is None:
        return any(bool(r["tac_lower_bound"]) for r in row)
    return row["tac_judge"] == "rules" and not (row["tac_coverage"] >= LOWER_BOUND_COVERAGE)


def _count(predicate):
    return lambda rec: 1.0 if predicate(rec) else 0.0


def _score_items(recs: list[SampleRecord]) -> list[dict]:
    """The records as the scorers' items (a failed sample scores 0 both ways)."""
    return [{"score": 0.0 if _failed(r) or r.score is None else float(r.score),
             "ref_score": 0.0 if _failed(r) else r.ref_score, "ref_pred": r.ref_pred, "category": r.category,
             "status": r.status} for r in recs]


def _aggregation(bench: str, mode: str):
    """The benchmark's own aggregation under a scoring mode (e.g. MVBench: mean over subtasks); a
    benchmark outside the suite (`videor2 tac` on a user's own outputs): plain accuracy."""
    spec = BY_NAME.get(bench)
    if mode == "reference":
        return spec.reference_accuracy if spec else reference_micro
    return spec.primary if spec else micro_accuracy


def _bootstrapped(aggregate, items: list[dict], idx):
    return float(aggregate(items)), np.array([aggregate([items[i] for i in row]) for row in idx], dtype=float)


def _benchmark_accuracy(mode: str):
    """The benchmark's score under `mode`, and its bootstrap distribution over the resampled indices.
    Records scored before reference scoring existed carry no reference result: NaN."""

    def aggregate(bench: str, recs: list[SampleRecord], idx):
        if mode == "reference" and not any(r.ref_score is not None or r.ref_flags for r in recs if not _failed(r)):
            return NAN, np.full(len(idx), NAN)
        return _bootstrapped(_aggregation(bench, mode), _score_items(recs), idx)

    return aggregate


def _parser_sensitivity(bench: str, recs: list[SampleRecord], idx):
    """Robust minus reference accuracy, with a paired bootstrap (the same resamples for both)."""
    ref, ref_dist = _benchmark_accuracy("reference")(bench, recs, idx)
    rob, rob_dist = _benchmark_accuracy("robust")(bench, recs, idx)
    return rob - ref, rob_dist - ref_dist


for _m in (
    Metric("n", "n", "Samples evaluated (average rows: over their benchmarks).", kind="count",
           value=lambda r: 1.0, console=True),
    Metric("errors", "Errors", "Samples whose record status is not ok (generation, parsing or scoring failed).",
           kind="count", value=_count(lambda r: r.status != "ok"), short="err", console=True),
    Metric("accuracy", "Accuracy",
           "The benchmark's score under the Video-R2 evaluation fork's own scoring rules (reference scoring, "
           "comparable to the paper: its answer extraction, letter rules and aggregation, e.g. MVBench/MLVU: "
           "mean over subtasks/types, Video-MMMU: over tracks, VSI-Bench: over its 10 question types); failed "
           "samples count 0. _lo/_hi: 95 % interval.",
           value=_accuracy, aggregate=_benchmark_accuracy("reference"), short="acc", console=True, compare=True),
    Metric("accuracy_robust", "Accuracy (robust)",
           "The same benchmark score under this project's robust parser (last <answer> block, option text "
           "matched to its letter, never a guessed letter). _lo/_hi: 95 % interval.",
           value=_accuracy_robust, aggregate=_benchmark_accuracy("robust"), short="acc_rob", compare=True),
    Metric("parser_sensitivity", "Parser sensitivity",
           "accuracy_robust minus accuracy, in points: how much the number depends on how answers are read. "
           "_lo/_hi: 95 % interval of the difference (paired bootstrap).",
           value=lambda r: _accuracy_robust(r) - _accuracy(r), aggregate=_parser_sensitivity, short="dparse",
           console=True),
    Metric("untagged", "Untagged",
           "Samples without a complete first <answer>...</answer> block: the reference scores the whole output.",
           kind="count", value=_count(lambda r: "untagged" in r.ref_flags)),
    Metric("non_letter", "Non-letter",
           "Multiple-choice samples whose answer text is not a bare option letter (where the two scorings can "
           "differ).", kind="count", value=_count(lambda r: "non_letter" in r.ref_flags)),
    Metric("ref_fallback", "Random fallback",
           "Samples where the reference draws a random letter (LongVideoBench, SciVideoBench); scored by the "
           "draw's expected value 1/n.", kind="count", value=_count(lambda r: "fallback" in r.ref_flags)),
    Metric("tac", "TAC",
           "Think-Answer Consistency, primary: percent of samples whose <think> concludes the same option / "
           "value that <answer> gives. _lo/_hi: 95 % interval.",
           value=_tac, short="TAC", console=True, compare=True, flag="tac_lower_bound"),
    Metric("tac_unknown", "TAC unknown",
           "Number of samples whose <think> reaches no explicit conclusion (think_pred UNKNOWN); they count "
           "as inconsistent in tac.", kind="count",
           value=_count(lambda r: r.think_pred == UNKNOWN and r.consistent is not None), short="unk"),
    Metric("answer_missing", "No answer",
           "TAC samples whose output gives no final answer (no <answer> block and no marked final answer, "
           "e.g. cut off while reasoning); their TAC answer is UNKNOWN, so they count as inconsistent. "
           "Accuracy still scores them by the benchmark's own rule (the whole output).", kind="count",
           value=_count(lambda r: r.consistent is not None and answer_pred(r) == UNKNOWN), short="noans",
           console=True),
    Metric("tac_coverage", "Think found",
           "Percent of TAC samples whose reasoning conclusion was found (think_pred not UNKNOWN). With the "
           "rules judge below 90 % the TAC is flagged a lower bound (tac_lower_bound): a conclusion the rules "
           "miss counts as inconsistent. _lo/_hi: 95 % interval.",
           value=_coverage, short="found", console=True, compare=True),
    Metric("tac_corr", "TAC (correlation)",
           "Reference variant answer_to_thinking_correlation: percent of samples where the think conclusion "
           "and the answer are both right or both wrong, P(a == t).", value=_tac_corr, short="TACcorr",
           compare=True),
    Metric("tac_cond", "TAC (conditional)",
           "Reference variant consistency_accuracy: percent of correctly answered samples whose think "
           "conclusion is also correct, P(t | a). The paper's TAC tables match this one.",
           value=_tac_cond, short="TACcond", console=True, compare=True),
    Metric("vas_attention", "VAS-attention",
           "VAS from attention: mean percent of last-layer attention (all heads) that each generated token "
           "puts on video tokens, averaged over samples. Needs the attention probe.",
           value=_vas_attention, short="VAS-att", console=True, compare=True),
    Metric("vas_attention_median", "VAS-attention median",
           "Median over samples of the per-sample VAS-attention means, with its 95 % interval.",
           kind="median", value=_vas_attention),
    Metric("vas_judge", "VAS-judge",
           "VAS from the judge: 10 x the mean 0-10 score of how much the <think> text relies on concrete "
           "visual evidence (the paper's VAS tables). _lo/_hi: 95 % interval.",
           value=_vas_judge, short="VAS-judge", console=True, compare=True),
    Metric("judge_errors", "Judge errors",
           "Number of samples for which the judge gave no usable output (excluded from vas_judge, never "
           "scored as 0).", kind="count",
           value=_count(lambda r: r.judge is not None and r.judge.status == "judge_error"),
           short="j_err"),
    Metric("judge_rules_agreement", "Judge/rules agree",
           "Percent of samples where the judge's think conclusion equals the rule parser's (a sanity check "
           "of the judge); – where not computed.", value=_judge_rules_agreement, interval=False),
    Metric("tac_judge", "TAC judge",
           "Which judge produced the think conclusions: rules, an LLM judge spec, or rules+LLM (hybrid).",
           kind="info", info=_tac_judge),
    Metric("tac_lower_bound", "TAC lower bound", "True where tac_judge is rules and tac_coverage is below 90 %; "
           "the HTML marks such TAC values \"lower bound\", the console with *.",
           kind="info", info=_tac_lower_bound, html=False),
):
    register(_m)


# ---------------------------------------------------------------- video reliance (diagnostics/reliance.py)

VARIANT_LABELS = {"blank": "blank frames", "shuffle": "shuffled frames", "reverse": "reversed frames",
                  "static": "the middle frame repeated", "text_only": "no video", "direct": "the direct prompt"}
RELIANCE = (  # (metric, variant, label, what the difference means)
    ("video_reliance", "blank", "Video reliance", "how much accuracy the video content buys"),
    ("order_sensitivity", "shuffle", "Order sensitivity", "how much the frame order matters"),
    ("reverse_sensitivity", "reverse", "Reverse sensitivity", "how much the direction of time matters"),
    ("think_gain", "direct", "Think gain", "what asking for reasoning buys over answering directly"),
)


def _think_answer(think_right: bool, answer_right: bool):
    def value(rec):
        if not _tac_known(rec) or rec.think_pred == UNKNOWN:
            return 0.0
        return 1.0 if (_think_correct(rec) == think_right and answer_correct(rec) == answer_right) else 0.0
    return value


register(Metric("cf_n", "Variant samples", "Samples answered both in the real run and under at least one "
                "counterfactual variant (the --counterfactual-limit subsample; the reliance columns use these).",
                kind="count", value=lambda r: 1.0 if R.has_pair(r) else 0.0, html=False))
register(Metric("acc_cf_real", "Accuracy (variant samples)",
                "The real run's accuracy on the variant samples, micro-averaged (the base the variants are "
                "compared with). _lo/_hi: 95 % interval.", value=R.real_accuracy, html=False))
for _v, _label in VARIANT_LABELS.items():
    register(Metric(f"acc_{_v}", f"Accuracy ({_label})",
                    f"Accuracy of the same samples answered with {_label} (models/variants.py), micro-averaged "
                    f"over the pairs where both runs answered. _lo/_hi: 95 % interval.",
                    value=R.variant_accuracy(_v), html=False))
for _name, _v, _label, _meaning in RELIANCE:
    register(Metric(_name, _label,
                    f"acc_cf_real minus acc_{_v}, in points, paired per sample: {_meaning}. _lo/_hi: 95 % "
                    f"interval of the paired difference.", value=R.difference(_v), html=False,
                    compare=_name in ("video_reliance", "order_sensitivity", "think_gain")))
for _v, _label in VARIANT_LABELS.items():
    register(Metric(f"flip_{_v}", f"Flip rate ({_label})",
                    f"Percent of paired samples whose answer with {_label} differs from the real run's answer "
                    f"(parsed answers compared). _lo/_hi: 95 % interval.", value=R.flip(_v), html=False))
register(Metric("vas_attention_cf_real", "VAS-attention (variant samples)",
                "The real run's VAS-attention on the variant samples (the base the variants' VAS-attention is "
                "compared with). _lo/_hi: 95 % interval.", value=R.real_vas, html=False))
for _v in ("blank", "shuffle", "reverse", "static", "direct"):
    register(Metric(f"vas_attention_{_v}", f"VAS-attention ({VARIANT_LABELS[_v]})",
                    f"VAS-attention of the samples answered with {VARIANT_LABELS[_v]} (does attention stay on "
                    f"the video tokens when they carry {'no' if _v == 'blank' else 'altered'} information?). "
                    f"_lo/_hi: 95 % interval.", value=R.variant_vas(_v), html=False))
register(Metric("answer_fixed_no_video", "Answer fixed without video",
                "Percent of paired samples whose answer stays the same under every video-free variant that ran "
                "(blank, text_only): answered from the text alone. _lo/_hi: 95 % interval.",
                value=R.answer_fixed_without_video, html=False))
for _t, _a in ((True, True), (True, False), (False, True), (False, False)):
    _name = f"think_{'right' if _t else 'wrong'}_answer_{'right' if _a else 'wrong'}"
    register(Metric(_name, _name.replace("_", " ").capitalize(),
                    f"Samples whose think conclusion is {'right' if _t else 'wrong'} and whose answer is "
                    f"{'right' if _a else 'wrong'} (the think/answer 2x2; tac_unknown counts the samples "
                    f"whose think reaches no conclusion).", kind="count", value=_think_answer(_t, _a), html=False))


# ---------------------------------------------------------------- console

def _cell(value, kind: str) -> str:
    try:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "–"
        return f"{float(value):.0f}" if kind == "count" else f"{float(value):.1f}"
    except (TypeError, ValueError):
        return str(value)


RELIANCE_CONSOLE = ("cf_n", "acc_cf_real", *(f"acc_{v}" for v in VARIANT_LABELS), "video_reliance",
                    "order_sensitivity", "think_gain", "flip_blank", "answer_fixed_no_video")


def has_variants(df: pd.DataFrame) -> bool:
    return "cf_n" in df.columns and bool((df["cf_n"] > 0).any())


def console_table(df: pd.DataFrame, label_column: str = "benchmark", names: tuple[str, ...] | None = None) -> str:
    """The console metrics of a summary frame (or the metrics `names`, columns without any value left
    out) as an aligned text table; a flagged value ends in *."""
    if names is None:
        shown = [m for m in metrics() if m.console and m.name in df.columns]
    else:
        shown = [get(n) for n in names if n in df.columns and df[n].notna().any()]
    head = [label_column] + [m.short or m.name for m in shown]
    rows = [head]
    for _, r in df.iterrows():
        cells = [str(r[label_column])]
        for m in shown:
            flagged = m.flag and m.flag in df.columns and bool(r[m.flag]) and r[m.flag] == r[m.flag]
            cells.append(_cell(r[m.name], m.kind) + ("*" if flagged else ""))
        rows.append(cells)
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = []
    for k, row in enumerate(rows):
        lines.append("  ".join(v.rjust(w) if i else v.ljust(w) for i, (v, w) in enumerate(zip(row, widths))))
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
