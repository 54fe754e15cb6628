"""Per-benchmark and suite summary: every metric of the registry (diagnostics/metrics.py).

`summarize(records)` -> one row per benchmark present (the suite's order, then any other benchmark
name in alphabetical order, group "other"), then Generic, Reasoning, Overall, which average only the
suite's benchmarks. Percentages 0-100; `_lo`/`_hi` are percentile bootstrap 95 % intervals.

- Benchmark rows: samples resampled with replacement (n_boot times) within the benchmark; the same
  resampled indices serve every metric, so the intervals are paired.
- Suite rows: the value is the UNWEIGHTED mean over the benchmarks present (videor2.suite.suite_means,
  as the paper). The interval is a stratified bootstrap: in each replicate every benchmark is
  resampled independently and the replicate's suite value is the unweighted mean of the benchmarks'
  replicate means; percentiles of those. Counts are sums; `info` columns combine their benchmarks'.
Definitions of every column: the registry (and docs/REPORT.md, docs/TAC.md).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from videor2.diagnostics import metrics as M
from videor2.records import SampleRecord
from videor2.suite import GROUPS, suite_means
from videor2.tasks.registry import BENCHMARKS, BENCHMARKS_GENERIC, BENCHMARKS_REASONING

LOWER_BOUND_COVERAGE = M.LOWER_BOUND_COVERAGE


def __getattr__(name):  # the columns follow the registry, including metrics registered later
    if name == "COLUMNS":
        return M.summary_columns()
    raise AttributeError(name)


def tac_judge_note(df: pd.DataFrame) -> str:
    """One line for the terminal: which judge produced the think conclusions, and where the TAC is a
    lower bound (those TAC values are printed with a trailing *)."""
    judges = sorted({j for v in df.get("tac_judge", []) for j in str(v).split(",") if j and j != "nan"})
    line = f"TAC judge: {', '.join(judges) or '–'}."
    rows = [(str(b), bool(lb)) for b, g, lb in zip(df["benchmark"], df["group"], df["tac_lower_bound"]) if g != "average"]
    low = [b for b, lb in rows if lb]
    if low:
        where = "every benchmark" if len(low) == len(rows) else ", ".join(low)
        line += (f" * TAC is a lower bound for {where}: the rules found a think conclusion for under "
                 f"{LOWER_BOUND_COVERAGE:.0f} % of samples (column found); use --judge rules+openai:URL#MODEL.")
    return line


def _group(bench: str) -> str:
    if bench in BENCHMARKS_GENERIC:
        return "generic"
    return "reasoning" if bench in BENCHMARKS_REASONING else "other"


def _nanmean(x) -> float:
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    return float(x.mean()) if len(x) else float("nan")


def bootstrap_distribution(values: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Bootstrap distribution (one per row of `idx`) of the NaN-ignoring mean of `values`."""
    values = np.asarray(values, dtype=float)
    n = len(values)
    valid = ~np.isnan(values)
    filled = np.where(valid, values, 0.0)
    out = np.empty(idx.shape[0])
    step = max(1, 2_000_000 // max(n, 1))
    for s in range(0, idx.shape[0], step):
        block = idx[s: s + step]
        cnt = valid[block].sum(axis=1)
        tot = filled[block].sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[s: s + step] = np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan)
    return out


def interval(dist: np.ndarray) -> tuple[float, float]:
    d = dist[~np.isnan(dist)]
    if len(d) == 0:
        return float("nan"), float("nan")
    lo, hi = np.percentile(d, [2.5, 97.5])
    return float(lo), float(hi)


def _median_with_bootstrap(values: np.ndarray, idx: np.ndarray) -> tuple[float, np.ndarray]:
    """NaN-ignoring median and its bootstrap distribution over the resampled indices."""
    if np.isnan(values).all():
        return float("nan"), np.full(idx.shape[0], np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a replicate drawing only NaN
        return float(np.nanmedian(values)), np.nanmedian(values[idx], axis=1)


def _benchmark_row(bench: str, recs: list[SampleRecord], idx: np.ndarray, dists: dict) -> dict:
    row = {"benchmark": bench, "group": _group(bench)}
    n_boot = idx.shape[0]
    for m in M.metrics():
        if m.kind == "info":
            continue
        values = np.array([m.value(r) for r in recs], dtype=float)
        if m.kind == "count":
            row[m.name] = int(values.sum())
            continue
        if m.kind == "median":
            row[m.name], dists[m.name] = _median_with_bootstrap(values, idx)
        elif m.aggregate is not None:
            row[m.name], dists[m.name] = m.aggregate(bench, recs, idx)
        else:
            row[m.name] = _nanmean(values)
            dists[m.name] = bootstrap_distribution(values, idx) if not math.isnan(row[m.name]) else np.full(n_boot, np.nan)
        if m.interval:
            row[f"{m.name}_lo"], row[f"{m.name}_hi"] = interval(dists[m.name])
    for m in M.metrics("info"):
        row[m.name] = m.info(row, recs)
    return row


def _average_row(group: str, members: list[dict], dists: dict) -> dict:
    present = [r["benchmark"] for r in members]
    per = {r["benchmark"]: r for r in members}
    row = {"benchmark": group, "group": "average"}
    for m in M.metrics():
        if m.kind == "info":
            continue
        if m.kind == "count":
            row[m.name] = sum(per[b][m.name] for b in present)
            continue
        row[m.name] = suite_means({b: per[b][m.name] for b in present})[group]
        if not m.interval:
            continue
        usable = [b for b in present if not math.isnan(per[b][m.name])]
        if usable:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # a replicate where no benchmark counts
                d = np.nanmean(np.vstack([dists[b][m.name] for b in usable]), axis=0)
            row[f"{m.name}_lo"], row[f"{m.name}_hi"] = interval(np.asarray(d))
        else:
            row[f"{m.name}_lo"] = row[f"{m.name}_hi"] = float("nan")
    for m in M.metrics("info"):
        row[m.name] = m.info(members, None)
    return row


def summarize(records: list[SampleRecord], seed: int = 0, n_boot: int = 1000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    by_bench: dict[str, list[SampleRecord]] = {}
    for r in records:
        by_bench.setdefault(r.benchmark, []).append(r)
    order = [b for b in BENCHMARKS if b in by_bench] + sorted(set(by_bench) - set(BENCHMARKS))
    rows, dists = [], {}
    for bench in order:
        recs = by_bench[bench]
        idx = rng.integers(0, len(recs), size=(n_boot, len(recs)))
        dists[bench] = {}
        rows.append(_benchmark_row(bench, recs, idx, dists[bench]))
    per = {r["benchmark"]: r for r in rows}
    for group, members in GROUPS.items():
        rows.append(_average_row(group, [per[b] for b in members if b in per], dists))
    return pd.DataFrame(rows, columns=M.summary_columns())
