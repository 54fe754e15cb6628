"""Compare several diagnose runs the way the Video-R2 paper compares models.

`compare_runs([RUN_DIR, ...], OUT_DIR, paper_dir=..., paper_reference=...)` reads each run's
summary.csv (and samples.jsonl + sidecars for the attention box plots) and writes into OUT_DIR:
combined.csv (long: one row per run x benchmark x metric), combined_<metric>.csv (the paper's
layout: models x 11 benchmarks + Avg_Generic / Avg_Reasoning / Avg_Overall), figures/ (heatmaps
per metric, per-benchmark box plots with one box per model, accuracy vs TAC) and index.html.

CLI: `videor2 report RUN_DIR [RUN_DIR ...] --out DIR [--paper-dir DIR] [--paper-model NAME]`.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import sys
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from videor2.tasks.registry import BENCHMARKS_GENERIC, PAPER_COLUMNS
from videor2.diagnostics import metrics as M
from videor2.records import read_records

from . import figures as F
from .tables import (AVERAGE_ROWS, LONG_COLUMNS, PAPER_FILES, WIDE_COLUMNS, ordered_benchmarks, read_paper, read_summary, summary_long, wide_table)

# Heatmap colour range per metric (None = the data's range; attention shares are small numbers).
HEAT_RANGE = {"vas_attention": (None, None), "video_reliance": (None, None), "order_sensitivity": (None, None),
              "think_gain": (None, None)}  # differences in points: may be negative


def default_paper_dir() -> Path | None:
    """../shared/paper beside the repository checkout, when it exists."""
    cand = Path(__file__).resolve().parents[1].parent / "shared" / "paper"
    return cand if cand.is_dir() else None


def run_info(run_dir: Path) -> dict:
    """{"model", "protocol"} of a run: from run_info.json when present, else the folder name."""
    info = {}
    path = run_dir / "run_info.json"
    if path.is_file():
        try:
            info = json.loads(path.read_text(encoding="utf-8")) or {}
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"unreadable {path}: {exc}") from exc
    return {"model": str(info.get("model") or run_dir.resolve().name),
            "protocol": info.get("protocol")}


def _labels(infos: list[dict], dirs: list[Path]) -> list[str]:
    """Unique display names: the model name, qualified by protocol or folder when names repeat."""
    models = [i["model"] for i in infos]
    labels = []
    for info, d in zip(infos, dirs):
        m = info["model"]
        if models.count(m) == 1:
            labels.append(m)
            continue
        same = [i.get("protocol") for i in infos if i["model"] == m]
        qual = info.get("protocol") if info.get("protocol") and len(set(same)) == len(same) else d.resolve().name
        labels.append(f"{m} ({qual})")
    seen: dict[str, int] = {}
    out = []
    for lab in labels:
        seen[lab] = seen.get(lab, 0) + 1
        out.append(lab if seen[lab] == 1 else f"{lab} #{seen[lab]}")
    return out


def compare_runs(run_dirs: Sequence[str | os.PathLike], out_dir: str | os.PathLike, *,
                 paper_dir: str | os.PathLike | None = None, paper_reference: str | Iterable[str] | None = None) -> Path:
    """Combined tables, heatmaps, box plots and index.html of several runs; returns index.html.

    paper_dir: folder with the paper's accuracy.csv / tac.csv / vas.csv; paper_reference: a model
    name of those tables, a list of names, or "all" (the default when paper_dir is given). Given
    paper_reference without paper_dir, ../shared/paper beside the repository is used.
    """
    if not run_dirs:
        raise ValueError("no run directories given")
    dirs = [Path(d) for d in run_dirs]
    for d in dirs:
        if not d.is_dir():
            raise FileNotFoundError(f"run directory not found: {d}")
        if not (d / "summary.csv").is_file():
            raise FileNotFoundError(f"no summary.csv in run directory {d} (is it a finished diagnose run?)")
    if paper_reference is not None and paper_dir is None:
        paper_dir = default_paper_dir()
        if paper_dir is None:
            raise FileNotFoundError("paper reference requested but no paper directory given and ../shared/paper "
                                    "not found beside the repository; pass --paper-dir")
    summaries = [read_summary(d / "summary.csv") for d in dirs]
    infos = [run_info(d) for d in dirs]
    labels = _labels(infos, dirs)

    frames = [summary_long(s, label=lab, model=i["model"], run=d.resolve().name, protocol=i.get("protocol"))
              for s, lab, i, d in zip(summaries, labels, infos, dirs)]
    paper = None
    if paper_dir is not None:
        paper = read_paper(paper_dir, paper_reference if paper_reference is not None else "all")
        frames.append(paper)
    long = pd.concat(frames, ignore_index=True)[LONG_COLUMNS]
    paper_labels = list(dict.fromkeys(paper["label"])) if paper is not None else []

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    long.to_csv(out / "combined.csv", index=False)
    compared = [m.name for m in M.compared()]
    labels_of = M.labels()
    wides = {}
    for m in compared:
        w = wide_table(long, m)
        w.to_csv(out / f"combined_{m}.csv")
        wides[m] = w

    fig_dir = out / "figures"
    figs: dict = {"heatmaps": [], "box": [], "box_overview": None, "scatter": None, "notes": []}
    for m in compared:
        w = wides[m]
        if not np.isfinite(w[WIDE_COLUMNS].to_numpy(float)).any():
            continue
        vmin, vmax = HEAT_RANGE.get(m, (0.0, 100.0))
        fig = F.heatmap(w[WIDE_COLUMNS], f"{labels_of[m]} (%)", vmin=vmin, vmax=vmax, paper_rows=paper_labels)
        note = " Paper rows: the published table of this metric." if m in PAPER_FILES and paper_labels else ""
        figs["heatmaps"].append(F.save(fig, fig_dir, f"heatmap_{m}", title=labels_of[m],
                                       caption=_HEAT_CAPTION + note))

    # attention box plots: one box per run
    pooled: dict[str, dict[str, np.ndarray]] = {}
    for d, lab in zip(dirs, labels):
        recs = read_records(d / "samples.jsonl")
        for b, arr in F.pooled_video_attention(recs, [d]).items():
            pooled.setdefault(b, {})[lab] = arr
    if pooled:
        colours = {lab: F.PALETTE[i % len(F.PALETTE)] for i, lab in enumerate(labels)}
        with_data = [lab for lab in labels if any(lab in v for v in pooled.values())]
        for b in ordered_benchmarks(pooled):
            fig = F.vas_box({lab: pooled[b][lab] for lab in labels if lab in pooled[b]}, PAPER_COLUMNS.get(b, b), colours)
            figs["box"].append(F.save(fig, fig_dir, f"vas_box_{F.safe_name(b)}", title=PAPER_COLUMNS.get(b, b)))
        fig = F.vas_box_overview(pooled, with_data, colours, title="Token-wise video attention per model")
        figs["box_overview"] = F.save(fig, fig_dir, "vas_box_all", title="Token-wise video attention",
                                      caption=_BOX_CAPTION)
    else:
        figs["notes"].append("None of the runs has attention sidecars, so no video-attention box plots are drawn.")

    pts = _scatter_points(long)
    if len(pts):
        fig = F.scatter_acc_tac(pts, "Accuracy vs TAC per benchmark", by="label")
        figs["scatter"] = F.save(fig, fig_dir, "scatter_accuracy_tac", title="Accuracy vs TAC",
                                 caption="One point per run and benchmark (circles generic, squares reasoning), "
                                         "95 % intervals as bars.")

    from .html import render, summary_column_docs

    runs = [{"label": lab, "model": i["model"], "protocol": i.get("protocol") or "–", "dir": str(d),
             "n": _overall(s, "n")} for lab, i, d, s in zip(labels, infos, dirs, summaries)]
    tables = []
    for m in compared:
        w = wides[m]
        if not np.isfinite(w[WIDE_COLUMNS].to_numpy(float)).any():
            continue
        tables.append({"metric": m, "label": labels_of[m], "columns": WIDE_COLUMNS,
                       "rows": [{"label": idx, "source": r["source"], "values": [r[c] for c in WIDE_COLUMNS]}
                                for idx, r in w.iterrows()]})
    html = render("compare.html.j2", title="Model comparison", runs=runs, tables=tables, figs=figs,
                  paper_dir=str(paper_dir) if paper_dir is not None else None, paper_labels=paper_labels,
                  column_docs=[c for c in summary_column_docs() if c[0] in compared],
                  generated=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    index = out / "index.html"
    tmp = index.with_name("index.html.tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, index)
    return index


_HEAT_CAPTION = ("Models x benchmarks in the paper's layout (generic benchmarks and their average | reasoning "
                 "benchmarks and their average | overall). Grey \"–\": not measured / not published.")
_BOX_CAPTION = ("For every generated token, the percent of last-layer attention on video tokens, pooled over each "
                "benchmark's samples; one box per model (quartiles, median line, diamond = mean, whiskers 1.5 IQR).")


def _overall(summary: pd.DataFrame, col: str):
    row = summary[summary["benchmark"].astype(str) == "Overall"]
    if len(row) and col in row:
        return row[col].iloc[0]
    return summary[~summary["benchmark"].astype(str).isin(AVERAGE_ROWS)][col].sum() if col in summary else None


def _scatter_points(long: pd.DataFrame) -> pd.DataFrame:
    runs = long[(long["source"] == "run") & (~long["benchmark"].isin(AVERAGE_ROWS))
                & (long["metric"].isin(["accuracy", "tac"]))]
    if runs.empty:
        return runs
    piv = runs.pivot_table(index=["label", "benchmark"], columns="metric", values=["value", "lo", "hi"], aggfunc="first")
    rows = []
    for (label, bench), r in piv.iterrows():
        row = {"label": label, "benchmark": bench, "group": "generic" if bench in BENCHMARKS_GENERIC else "reasoning"}
        for m in ("accuracy", "tac"):
            row[m] = r.get(("value", m), np.nan)
            row[f"{m}_lo"] = r.get(("lo", m), np.nan)
            row[f"{m}_hi"] = r.get(("hi", m), np.nan)
        rows.append(row)
    df = pd.DataFrame(rows)
    order = list(dict.fromkeys(runs["label"]))
    df["_o"] = df["label"].map(order.index)
    return df.sort_values(["_o", "benchmark"]).drop(columns="_o")


# --------------------------------------------------------------------------------------- CLI

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dirs", nargs="+", metavar="RUN_DIR", help="report folders of diagnose runs")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for combined.csv, figures/, index.html")
    parser.add_argument("--paper-dir", metavar="DIR", default=None,
                        help="folder with the paper's accuracy.csv, tac.csv, vas.csv to overlay as reference rows "
                             "(default with --paper-model: ../shared/paper beside the repository)")
    parser.add_argument("--paper-model", metavar="NAME", default=None,
                        help="which paper row(s) to overlay: a model name (e.g. Video-R2) or 'all' (default: all "
                             "when --paper-dir is given)")


def run(args: argparse.Namespace) -> int:
    try:
        index = compare_runs(args.run_dirs, args.out, paper_dir=args.paper_dir, paper_reference=args.paper_model)
    except (FileNotFoundError, ValueError) as exc:
        print(f"videor2 report: error: {exc}", file=sys.stderr)
        return 2
    combined = pd.read_csv(Path(args.out) / "combined.csv")
    overall = combined[combined["benchmark"] == "Overall"].pivot_table(index="label", columns="metric", values="value",
                                                                      aggfunc="first", sort=False)
    print(M.console_table(overall.reset_index().rename(columns={"label": "Overall"}), label_column="Overall"))
    print(f"\ncombined tables: {Path(args.out) / 'combined.csv'}")
    print(f"report: {index}")
    return 0
