"""Per-benchmark and suite summary of accuracy, TAC (three variants) and VAS (attention, judge).

`summarize(records)` -> one row per benchmark present (videor2.BENCHMARKS order, then any other
benchmark name in alphabetical order, group "other"), then Generic, Reasoning, Overall, which
average only the suite's 11 benchmarks. Percentages 0-100; `_lo`/`_hi` are percentile bootstrap 95 % intervals.

- Benchmark rows: samples resampled with replacement (n_boot times) within the benchmark; the
  same resampled indices serve every metric, so the intervals are paired.
- Suite rows: the value is the UNWEIGHTED mean over the benchmarks present (videor2.suite.suite_means,
  as the paper). The interval is a stratified bootstrap: in each replicate every benchmark is
  resampled independently and the replicate's suite value is the unweighted mean of the
  benchmarks' replicate means; percentiles of those. Counts (n, errors, tac_unknown,
  judge_errors) are sums; judge_rules_agreement is the unweighted mean over benchmarks.

Definitions (REFERENCE.md section 4): accuracy = the benchmark's own score computed from the
records' scores by the task's primary aggregation (macro over subtasks/types where the benchmark
defines it so; failed samples 0), i.e. the number lmms-eval reports;
tac = % think conclusion == answer prediction (UNKNOWN = inconsistent); tac_corr = % answer-correct
== think-correct; tac_cond = % think-correct among answer-correct; numeric items are correct within
5 % relative error for the TAC variants (accuracy keeps the benchmark's MRA); samples with
video_error / generation_error or a judge_error in the think are left out of the TAC columns;
vas_judge = 10 x mean judged score over samples with a valid score (missing think = 0);
vas_attention = mean of record.vas_attention["mean"]; tac_coverage = % of TAC samples whose think
conclusion was found (not UNKNOWN); answer_missing = TAC samples whose output gives no final answer
(the TAC answer is then UNKNOWN); tac_judge = which judge(s) produced the think conclusions;
tac_lower_bound = the rules judge with coverage below LOWER_BOUND_COVERAGE (its TAC undercounts).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from videor2 import BENCHMARKS, BENCHMARKS_GENERIC, BENCHMARKS_REASONING
from videor2.diagnostics.tac import METRICS, answer_pred, bootstrap_distribution, interval, sample_values
from videor2.diagnostics.think import UNKNOWN, same_value
from videor2.records import SampleRecord
from videor2.suite import GROUPS, suite_means
from videor2.tasks.common.scoring import ERROR_STATUSES, micro_accuracy

COLUMNS = ["benchmark", "group", "n", "errors"]
for _m in METRICS:
    COLUMNS += [_m, f"{_m}_lo", f"{_m}_hi"]
    if _m == "tac":
        COLUMNS += ["tac_unknown", "answer_missing"]
    if _m == "vas_attention":  # the median of the per-sample means too (box-plot centre)
        COLUMNS += ["vas_attention_median", "vas_attention_median_lo", "vas_attention_median_hi"]
COLUMNS += ["judge_errors", "judge_rules_agreement", "tac_judge", "tac_lower_bound"]

# With the rules judge, a think conclusion the extractor misses counts as UNKNOWN, i.e. inconsistent:
# on labelled real outputs about a third of the rules' UNKNOWNs did conclude (tests/tac_real,
# scripts/bench_extractor.py). Below this coverage the report calls the rules' TAC a lower bound.
LOWER_BOUND_COVERAGE = 90.0


def _lower_bound(judge: str, coverage: float) -> bool:
    return judge == "rules" and not (coverage >= LOWER_BOUND_COVERAGE)


def tac_judge_note(df: pd.DataFrame) -> str:
    """One line for the terminal: which judge produced the think conclusions, and where the TAC is a
    lower bound (those TAC values are printed with a trailing *)."""
    judges = sorted({j for v in df.get("tac_judge", []) for j in str(v).split(",") if j and j != "nan"})
    lines = f"TAC judge: {', '.join(judges) or '–'}."
    low = [str(b) for b, g, lb in zip(df["benchmark"], df["group"], df["tac_lower_bound"]) if lb and g != "average"]
    if low:
        lines += (f" * TAC is a lower bound for {', '.join(low)}: the rules found a think conclusion for under "
                  f"{LOWER_BOUND_COVERAGE:.0f} % of samples (column found); use --judge rules+openai:URL#MODEL.")
    return lines


def _group(bench: str) -> str:
    if bench in BENCHMARKS_GENERIC:
        return "generic"
    return "reasoning" if bench in BENCHMARKS_REASONING else "other"


def _agreement(rec: SampleRecord) -> float:
    j = rec.judge if isinstance(rec.judge, dict) else None
    if not j or j.get("spec", "rules") == "rules" or rec.think_pred is None:
        return float("nan")
    rules = j.get("rules_think_pred")
    if rules == UNKNOWN or rec.think_pred == UNKNOWN:
        return 100.0 * (rules == rec.think_pred)
    return 100.0 * same_value(rec.think_pred, rules, rec.answer_kind)


def _nanmean(x) -> float:
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    return float(x.mean()) if len(x) else float("nan")


def _official_accuracy(bench: str, recs: list[SampleRecord], idx: np.ndarray) -> tuple[float, np.ndarray]:
    """The benchmark's primary aggregation (tasks/<bench>/utils.aggregate_primary) on the records'
    scorer items, and its bootstrap distribution over the same resampled indices."""
    from videor2.tasks.common.task import benchmark_module

    # a benchmark outside the suite (e.g. `videor2 tac` on a user's own outputs): plain accuracy
    aggregate = benchmark_module(bench).aggregate_primary if bench in BENCHMARKS else micro_accuracy
    items = [{"score": 0.0 if r.status in ERROR_STATUSES or r.score is None else float(r.score),
              "category": r.category, "status": r.status} for r in recs]
    value = float(aggregate(items))
    dist = np.array([aggregate([items[i] for i in row]) for row in idx], dtype=float)
    return value, dist


def _median_with_bootstrap(values: np.ndarray, idx: np.ndarray) -> tuple[float, np.ndarray]:
    """NaN-ignoring median and its bootstrap distribution over the resampled indices."""
    if np.isnan(values).all():
        return float("nan"), np.full(idx.shape[0], np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a replicate drawing only NaN
        return float(np.nanmedian(values)), np.nanmedian(values[idx], axis=1)


def summarize(records: list[SampleRecord], seed: int = 0, n_boot: int = 1000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    by_bench: dict[str, list[SampleRecord]] = {}
    for r in records:
        by_bench.setdefault(r.benchmark, []).append(r)
    rows, dists = [], {}
    order = [b for b in BENCHMARKS if b in by_bench] + sorted(set(by_bench) - set(BENCHMARKS))
    for bench in order:
        recs = by_bench[bench]
        vals = [sample_values(r) for r in recs]
        n = len(recs)
        idx = rng.integers(0, n, size=(n_boot, n))
        row = {"benchmark": bench, "group": _group(bench), "n": n,
               "errors": sum(r.status != "ok" for r in recs)}
        dists[bench] = {}
        for m in METRICS:
            v = np.array([x[m] for x in vals], dtype=float)
            row[m] = _nanmean(v)
            d = bootstrap_distribution(v, rng, n_boot, idx) if not math.isnan(row[m]) else np.full(n_boot, np.nan)
            dists[bench][m] = d
            row[f"{m}_lo"], row[f"{m}_hi"] = interval(d)
        # accuracy is the benchmark's own score (e.g. MVBench's mean over subtasks), as lmms-eval reports it
        row["accuracy"], dists[bench]["accuracy"] = _official_accuracy(bench, recs, idx)
        row["accuracy_lo"], row["accuracy_hi"] = interval(dists[bench]["accuracy"])
        att = np.array([x["vas_attention"] for x in vals], dtype=float)
        row["vas_attention_median"], dists[bench]["vas_attention_median"] = _median_with_bootstrap(att, idx)
        row["vas_attention_median_lo"], row["vas_attention_median_hi"] = interval(dists[bench]["vas_attention_median"])
        row["tac_unknown"] = sum(r.think_pred == UNKNOWN and r.consistent is not None for r in recs)
        row["answer_missing"] = sum(r.consistent is not None and answer_pred(r) == UNKNOWN for r in recs)
        row["judge_errors"] = sum(isinstance(r.judge, dict) and r.judge.get("status") == "judge_error" for r in recs)
        row["judge_rules_agreement"] = _nanmean([_agreement(r) for r in recs])
        row["tac_judge"] = ",".join(sorted({r.tac_source for r in recs if r.tac_source}))
        row["tac_lower_bound"] = _lower_bound(row["tac_judge"], row["tac_coverage"])
        rows.append(row)
    per = {r["benchmark"]: r for r in rows}
    for group, members in GROUPS.items():
        present = [b for b in members if b in per]
        row = {"benchmark": group, "group": "average", "n": sum(per[b]["n"] for b in present),
               "errors": sum(per[b]["errors"] for b in present)}
        for m in METRICS:
            row[m] = suite_means({b: per[b][m] for b in present})[group]
            usable = [b for b in present if not math.isnan(per[b][m])]
            if usable:
                stack = np.vstack([dists[b][m] for b in usable])
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)  # a replicate where no benchmark counts
                    d = np.nanmean(stack, axis=0)
                row[f"{m}_lo"], row[f"{m}_hi"] = interval(np.asarray(d))
            else:
                row[f"{m}_lo"] = row[f"{m}_hi"] = float("nan")
        med = [b for b in present if not math.isnan(per[b]["vas_attention_median"])]
        row["vas_attention_median"] = suite_means({b: per[b]["vas_attention_median"] for b in present})[group]
        if med:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                d = np.nanmean(np.vstack([dists[b]["vas_attention_median"] for b in med]), axis=0)
            row["vas_attention_median_lo"], row["vas_attention_median_hi"] = interval(d)
        else:
            row["vas_attention_median_lo"] = row["vas_attention_median_hi"] = float("nan")
        row["tac_unknown"] = sum(per[b]["tac_unknown"] for b in present)
        row["answer_missing"] = sum(per[b]["answer_missing"] for b in present)
        row["judge_errors"] = sum(per[b]["judge_errors"] for b in present)
        row["tac_judge"] = ",".join(sorted({j for b in present for j in per[b]["tac_judge"].split(",") if j}))
        row["tac_lower_bound"] = any(per[b]["tac_lower_bound"] for b in present)
        row["judge_rules_agreement"] = suite_means({b: per[b]["judge_rules_agreement"] for b in present})[group]
        rows.append(row)
    df = pd.DataFrame(rows, columns=COLUMNS)
    return df
