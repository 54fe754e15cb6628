"""Tables of a report: summary.csv, samples.csv / samples.jsonl, and the paper-layout wide tables.

Everything here is plain pandas; the HTML and the figures read these frames.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from videor2.tasks.registry import BENCHMARKS, BENCHMARKS_GENERIC, BENCHMARKS_REASONING, PAPER_COLUMNS
from videor2.diagnostics import metrics as M
from videor2.records import JudgeVerdict, SampleRecord, VasStats, _json_default
from videor2.tasks.common.scoring import ERROR_STATUSES

AVERAGE_ROWS = ("Generic", "Reasoning", "Overall")
# Column order of the paper's tables: generic, their average, reasoning, their average, overall.
WIDE_COLUMNS = (
    [PAPER_COLUMNS[b] for b in BENCHMARKS_GENERIC] + ["Avg_Generic"]
    + [PAPER_COLUMNS[b] for b in BENCHMARKS_REASONING] + ["Avg_Reasoning", "Avg_Overall"]
)
_AVG_TO_WIDE = {"Generic": "Avg_Generic", "Reasoning": "Avg_Reasoning", "Overall": "Avg_Overall"}
_WIDE_TO_BENCH = {**{v: k for k, v in PAPER_COLUMNS.items()}, **{v: k for k, v in _AVG_TO_WIDE.items()}}
# Which paper table holds which of our metrics. The paper's TAC numbers fit the reference code's
# `consistency_accuracy` = P(think correct | answer correct), our `tac_cond`; its VAS tables are
# the judged score x10, our `vas_judge` (docs/TAC.md, Definitions).
PAPER_FILES = {"accuracy": "accuracy.csv", "tac_cond": "tac.csv", "vas_judge": "vas.csv"}

# Columns of samples.csv, in order.
SAMPLE_COLUMNS = [
    "benchmark", "doc_id", "model", "category", "answer_kind", "status", "error",
    "question", "options", "ground_truth",
    "parse_status", "pred", "score", "correct",
    "think_pred", "think_correct", "consistent", "tac_source", "think_evidence", "think_confidence",
    "vas_att_mean", "vas_att_median", "vas_att_q1", "vas_att_q3", "vas_att_whislo", "vas_att_whishi",
    "vas_att_n_tokens", "vas_att_think_mean", "vas_att_answer_mean", "vas_sidecar",
    "judge_score", "judge_rationale", "judge_spec", "judge_status", "judge_error",
    "variant_answers",
    "think", "answer_text", "response",
]


def is_finite(x: Any) -> bool:
    """True for a real, finite number (bools excluded)."""
    if x is None or isinstance(x, bool):
        return False
    try:
        return math.isfinite(float(x))
    except Exception:  # None-like template values, strings, objects
        return False


def fmt(x: Any, digits: int = 1) -> str:
    """A number for humans: fixed decimals, "–" for None / NaN / inf / non-numbers."""
    if not is_finite(x):
        return "–"
    return f"{float(x):.{digits}f}"


def fmt_int(x: Any) -> str:
    return str(int(round(float(x)))) if is_finite(x) else "–"


def letter(i: int) -> str:
    return chr(ord("A") + i) if i < 26 else str(i + 1)


def options_text(options: Iterable[str] | None) -> str:
    """Options as one line: "A. first | B. second"."""
    return " | ".join(f"{letter(i)}. {o}" for i, o in enumerate(options or []))


def round_summary(summary: pd.DataFrame, digits: int = 2) -> pd.DataFrame:
    """The summary with counts as integers and every other number rounded to `digits` decimals."""
    out = summary.copy()
    counts = {m.name for m in M.metrics("count")}
    for col in out.columns:
        if col in ("benchmark", "group"):
            continue
        values = pd.to_numeric(out[col], errors="coerce")
        if col in counts:
            out[col] = values.round().astype("Int64")
        else:
            out[col] = values.astype(float).round(digits)
    return out


def read_summary(path: str | os.PathLike) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no summary.csv at {path}")
    df = pd.read_csv(path, keep_default_na=False, na_values=["", "NaN", "nan"])
    missing = {"benchmark", "group"} - set(df.columns)
    if missing:
        raise ValueError(f"{path} is not a summary table (missing columns {sorted(missing)})")
    df["benchmark"] = df["benchmark"].astype(str)
    return df


def judge_fields(judge: JudgeVerdict | None) -> dict:
    """score / rationale / spec / status / error of a record's judge verdict (all None without one)."""
    if judge is None:
        return dict.fromkeys(("score", "rationale", "spec", "status", "error"))
    return {"score": judge.grounding_score, "rationale": judge.grounding_rationale, "spec": judge.spec,
            "status": judge.status, "error": judge.error or (judge.grounding or {}).get("error")}


def sample_row(rec: SampleRecord) -> dict:
    """One flat samples.csv row of a record."""
    vas = rec.vas_attention or VasStats()
    judge = judge_fields(rec.judge)
    return {
        "benchmark": rec.benchmark,
        "doc_id": rec.doc_id,
        "model": rec.model,
        "category": rec.category,
        "answer_kind": rec.answer_kind,
        "status": rec.status,
        "error": rec.error,
        "question": rec.question,
        "options": options_text(rec.options),
        "ground_truth": rec.ground_truth,
        "parse_status": rec.parse_status,
        "pred": rec.pred,
        "score": rec.score,
        "correct": rec.correct,
        "ref_pred": json.dumps(rec.ref_pred) if isinstance(rec.ref_pred, (dict, list)) else rec.ref_pred,
        "ref_score": rec.ref_score,
        "ref_flags": ",".join(rec.ref_flags),
        "think_pred": rec.think_pred,
        "think_correct": rec.think_correct,
        "consistent": rec.consistent,
        "tac_source": rec.tac_source,
        "think_evidence": rec.think_evidence,
        "think_confidence": rec.think_confidence,
        "vas_att_mean": vas.mean,
        "vas_att_median": vas.median,
        "vas_att_q1": vas.q1,
        "vas_att_q3": vas.q3,
        "vas_att_whislo": vas.whislo,
        "vas_att_whishi": vas.whishi,
        "vas_att_n_tokens": vas.n_tokens if rec.vas_attention is not None else None,
        "vas_att_think_mean": vas.think.mean,
        "vas_att_answer_mean": vas.answer.mean,
        "vas_sidecar": vas.sidecar,
        "judge_score": judge["score"],
        "judge_rationale": judge["rationale"],
        "judge_spec": judge["spec"],
        "judge_status": judge["status"],
        "judge_error": judge["error"],
        "variant_answers": variant_answers(rec),
        "think": rec.think,
        "answer_text": rec.answer_text,
        "response": rec.response,
    }


def variant_answers(rec: SampleRecord) -> str | None:
    """The same document under each counterfactual variant: "blank: B (0) | shuffle: A (1)" (answer,
    reference score; the status instead when it failed)."""
    parts = []
    for name, v in rec.variants.items():
        if v.status in ERROR_STATUSES:
            parts.append(f"{name}: {v.status}")
        else:
            score = "–" if v.ref_score is None else f"{float(v.ref_score):g}"
            parts.append(f"{name}: {'–' if v.pred in (None, '') else v.pred} ({score})")
    return " | ".join(parts) or None


def samples_table(records: Iterable[SampleRecord]) -> pd.DataFrame:
    return pd.DataFrame([sample_row(r) for r in records], columns=SAMPLE_COLUMNS)


def write_tables(run_dir: str | os.PathLike, records: list[SampleRecord], summary: pd.DataFrame) -> dict[str, Path]:
    """summary.csv, samples.csv and samples.jsonl in run_dir; returns their paths."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "summary": run_dir / "summary.csv",
        "samples": run_dir / "samples.csv",
        "samples_jsonl": run_dir / "samples.jsonl",
    }
    _atomic_csv(round_summary(summary), paths["summary"])
    _atomic_csv(samples_table(records), paths["samples"])
    tmp = paths["samples_jsonl"].with_name("samples.jsonl.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec.to_dict(), ensure_ascii=False, default=_json_default) + "\n")
    os.replace(tmp, paths["samples_jsonl"])
    return paths


def _atomic_csv(df: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    df.to_csv(tmp, index=False)
    os.replace(tmp, path)


# ---------------------------------------------------------------- long / wide tables (comparison)

def summary_long(summary: pd.DataFrame, *, label: str, model: str, run: str, protocol: str | None = None,
                 source: str = "run") -> pd.DataFrame:
    """Long rows (label, model, protocol, run, source, benchmark, group, metric, value, lo, hi, n)."""
    rows = []
    for _, r in summary.iterrows():
        for m in (x.name for x in M.compared()):
            if m not in summary.columns:
                continue
            rows.append({
                "label": label, "model": model, "protocol": protocol, "run": run, "source": source,
                "benchmark": str(r["benchmark"]), "group": r.get("group"), "metric": m,
                "value": _num(r.get(m)), "lo": _num(r.get(f"{m}_lo")), "hi": _num(r.get(f"{m}_hi")),
                "n": _num(r.get("n")),
            })
    return pd.DataFrame(rows, columns=LONG_COLUMNS)


LONG_COLUMNS = ["label", "model", "protocol", "run", "source", "benchmark", "group", "metric", "value", "lo", "hi", "n"]


def _num(x: Any) -> float:
    return float(x) if is_finite(x) else float("nan")


def wide_column(benchmark: str) -> str | None:
    """Paper column name of a summary row's benchmark (None for unknown names)."""
    if benchmark in PAPER_COLUMNS:
        return PAPER_COLUMNS[benchmark]
    return _AVG_TO_WIDE.get(benchmark)


def wide_table(long: pd.DataFrame, metric: str) -> pd.DataFrame:
    """One metric in the paper's layout: one row per label, columns WIDE_COLUMNS (NaN where absent)."""
    sub = long[long["metric"] == metric]
    labels = list(dict.fromkeys(sub["label"]))
    table = pd.DataFrame(np.nan, index=pd.Index(labels, name="model"), columns=WIDE_COLUMNS)
    for _, r in sub.iterrows():
        col = wide_column(r["benchmark"])
        if col is not None:
            table.loc[r["label"], col] = r["value"]
    sources = sub.drop_duplicates("label").set_index("label")["source"]
    table.insert(0, "source", [sources.get(lab, "run") for lab in labels])
    return table


def summary_matrix(summary: pd.DataFrame, metrics: Iterable[str], label: str | None = None) -> pd.DataFrame:
    """Rows = metrics of one run, columns = WIDE_COLUMNS (used for the single-run heatmaps)."""
    table = pd.DataFrame(np.nan, index=[], columns=WIDE_COLUMNS, dtype=float)
    for m in metrics:
        row = pd.Series(np.nan, index=WIDE_COLUMNS, dtype=float)
        if m in summary.columns:
            for _, r in summary.iterrows():
                col = wide_column(str(r["benchmark"]))
                if col is not None:
                    row[col] = _num(r[m])
        text = M.labels().get(m, m)
        name = text if label is None else f"{label} · {text}"
        table.loc[name] = row
    return table


def read_paper(paper_dir: str | os.PathLike, models: str | Iterable[str] | None = None) -> pd.DataFrame:
    """The paper's published rows as long rows (source "paper"), for the metrics in PAPER_FILES.

    `models`: None or "all" for every model, else one name or a list (an unknown name raises).
    Only the numbers the paper prints are returned (tac.csv / vas.csv have no generic/reasoning
    averages, so those stay absent).
    """
    paper_dir = Path(paper_dir)
    if not paper_dir.is_dir():
        raise FileNotFoundError(f"paper directory not found: {paper_dir}")
    wanted = None if models in (None, "all") else ({models} if isinstance(models, str) else set(models))
    frames, seen = [], set()
    for metric, fname in PAPER_FILES.items():
        path = paper_dir / fname
        if not path.is_file():
            raise FileNotFoundError(f"paper table missing: {path}")
        df = pd.read_csv(path)
        rows = []
        for _, r in df.iterrows():
            model = str(r["model"])
            seen.add(model)
            if wanted is not None and model not in wanted:
                continue
            for col in df.columns:
                bench = _WIDE_TO_BENCH.get(col)
                if bench is None:
                    continue
                group = "average" if bench in AVERAGE_ROWS else (
                    "generic" if bench in BENCHMARKS_GENERIC else "reasoning")
                rows.append({
                    "label": f"{model} (paper)", "model": model, "protocol": "paper", "run": "paper",
                    "source": "paper", "benchmark": bench, "group": group, "metric": metric,
                    "value": _num(r[col]), "lo": np.nan, "hi": np.nan, "n": np.nan,
                })
        frames.append(pd.DataFrame(rows, columns=LONG_COLUMNS))
    if wanted is not None:
        unknown = wanted - seen
        if unknown:
            raise ValueError(f"model(s) not in the paper tables: {', '.join(sorted(unknown))}; "
                             f"known: {', '.join(sorted(seen))}")
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=LONG_COLUMNS)


def ordered_benchmarks(names: Iterable[str]) -> list[str]:
    """Benchmarks in the suite's order (generic first), unknown names after, averages excluded."""
    names = [n for n in dict.fromkeys(names) if n not in AVERAGE_ROWS]
    known = [b for b in BENCHMARKS if b in names]
    return known + sorted(n for n in names if n not in BENCHMARKS)
