"""The report folder of one run: tables, figures and ONE self-contained index.html.

`write_report(run_dir, records, summary, title=..., model_name=...)` writes
summary.csv, samples.csv, samples.jsonl, figures/*.png|svg and index.html. The HTML embeds every
figure as a base64 PNG, loads nothing from the network, and escapes all model text (jinja2
autoescape); its only script is a small inline filter for the inconsistent-sample list.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape

from videor2.tasks.registry import BENCHMARKS_GENERIC, PAPER_COLUMNS
from videor2.diagnostics import metrics as M
from videor2.diagnostics import reliance as R
from videor2.diagnostics.metrics import LOWER_BOUND_COVERAGE
from videor2.models.variants import VARIANTS, VIDEOLESS
from videor2.diagnostics.think import reasoning_text

from . import figures as F
from .tables import (AVERAGE_ROWS, fmt, fmt_int, is_finite, judge_fields, letter,
                     ordered_benchmarks, round_summary, summary_matrix, write_tables)

TEMPLATES = Path(__file__).resolve().parent / "templates"
MAX_LISTED_SAMPLES = 500


def summary_column_docs() -> list[tuple[str, str]]:
    """Explanations of every summary.csv column, from the metric registry (docs/REPORT.md says the same)."""
    return [("benchmark", "Benchmark name, or one of the unweighted averages over benchmarks: Generic (the "
                          "generic benchmarks), Reasoning (the reasoning benchmarks), Overall (all of them)."),
            ("group", "generic | reasoning for a suite benchmark row (other for a benchmark outside the suite), "
                      "average for the three average rows.")] + [(m.name, m.doc) for m in M.metrics()]


SAMPLE_COLUMN_DOCS: list[tuple[str, str]] = [
    ("benchmark, doc_id, model, category", "Which item (benchmark, its document id, subtask) and which model."),
    ("answer_kind", "mc (multiple choice), numeric or open."),
    ("status, error", "ok, or the first stage that failed and its message."),
    ("question, options, ground_truth", "The item as shown to the model; options as \"A. … | B. …\"."),
    ("parse_status", "How the <think>/<answer> structure parsed (e.g. ok, no_answer_tag)."),
    ("pred, score, correct", "Parsed answer, its score 0-1 and whether it counts as correct."),
    ("think_pred, think_correct, consistent, tac_source",
     "What the reasoning concludes (UNKNOWN if nothing explicit), whether that is correct, whether it "
     "equals pred, and who extracted it (rules or a judge)."),
    ("think_evidence, think_confidence", "Where the rules found the conclusion: the sentence it was read from and "
                                         "their confidence (0-1); empty when an LLM judge extracted it."),
    ("vas_att_*", "Per-sample token-wise video attention statistics (mean, median, quartiles, whiskers, "
                  "number of tokens, means over the think and answer spans) and the sidecar file."),
    ("judge_score, judge_rationale, judge_spec, judge_status, judge_error",
     "The grounding judge's 0-10 score and its reason; which judge, whether it succeeded, its error."),
    ("think, answer_text, response", "The reasoning, the answer text and the raw model output."),
]

FIGURE_DOCS = {
    "vas_box": "Token-wise video attention: for every generated token the percent of last-layer attention "
               "on video tokens, pooled over the benchmark's samples. Box = quartiles, line = median, "
               "diamond = mean (value printed), whiskers = 1.5 IQR (outliers not drawn).",
    "curve": "One sample's attention over its generated tokens: the shares on video (red), on the "
             "text prompt (blue) and on tokens generated so far (grey) sum to 100 %. The bar above the "
             "plot marks the <think> span (blue) and the <answer> span (orange); the dashed line is where "
             "the answer starts.",
    "heatmap": "Rows x benchmarks in the paper's layout: the 5 generic benchmarks and their average, the "
               "6 reasoning benchmarks and their average, the overall average. Grey \"–\" = not measured.",
    "scatter": "Accuracy (x) versus TAC (y) per benchmark with 95 % intervals. Points far below the "
               "diagonal answer correctly without reasoning that supports the answer.",
    "flip": "Percent of paired samples whose answer changes when the video is altered (rows: variants; "
            "columns: benchmarks and averages). A model that uses the video flips often under blank and "
            "no-video inputs; one that ignores frame order rarely flips under shuffle.",
}


def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(default=True,
                      default_for_string=True), trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = fmt
    env.filters["int"] = fmt_int
    env.globals["is_finite"] = is_finite
    return env


def render(template: str, **context) -> str:
    return environment().get_template(template).render(**context)


# --------------------------------------------------------------------------- conclusion highlight

_SENTENCE = re.compile(r"[^\n]*?(?:[.!?]+(?=\s|$)|\n|$)")


def split_evidence(think: str | None, evidence: str | None) -> tuple[str, str, str] | None:
    """(before, evidence, after) when the rule extractor's evidence span occurs in `think` (its last
    occurrence), else None."""
    if not think or not evidence or not evidence.strip():
        return None
    at = think.rfind(evidence.strip())
    if at < 0:
        return None
    end = at + len(evidence.strip())
    return think[:at], think[at:end], think[end:]


def split_conclusion(think: str | None, conclusion: Any, options: Sequence[str] | None = None) -> tuple[str, str, str] | None:
    """Split `think` into (before, conclusion sentence, after) around its LAST explicit statement of
    `conclusion` (a letter: "option B", "(B)", "B." or the option's text; a number or text verbatim).
    Falls back to the last sentence. None when there is no think text.
    """
    if not think:
        return None
    spans = [(m.start(), m.end()) for m in _SENTENCE.finditer(think) if think[m.start():m.end()].strip()]
    if not spans:
        return None
    pos = _last_mention(think, conclusion, options)
    if pos is None:
        start, end = spans[-1]
    else:
        start, end = next(((s, e) for s, e in spans if s <= pos < e), spans[-1])
    # keep leading whitespace outside the mark
    while start < end and think[start].isspace():
        start += 1
    return think[:start], think[start:end], think[end:]


def _last_mention(text: str, conclusion: Any, options: Sequence[str] | None) -> int | None:
    if conclusion is None:
        return None
    c = str(conclusion).strip()
    if not c or c.upper() == "UNKNOWN":
        return None
    strong: list[re.Pattern] = []
    weak: list[re.Pattern] = []
    if re.fullmatch(r"[A-Z]", c):
        L = re.escape(c)
        strong += [re.compile(rf"\b(?:option|answer|choice)\s*(?:is\s*)?[:(]?\s*{L}\b", re.I),
                   re.compile(rf"\({L}\)"), re.compile(rf"\b{L}[.):](?!\w)")]
        weak.append(re.compile(rf"(?<![A-Za-z']){L}(?![A-Za-z'])"))
        idx = ord(c) - ord("A")
        if options and 0 <= idx < len(options) and str(options[idx]).strip():
            strong.append(re.compile(re.escape(str(options[idx]).strip()), re.I))
    else:
        strong.append(re.compile(re.escape(c), re.I))
    for group in (strong, weak):
        hits = [m.start() for p in group for m in p.finditer(text)]
        if hits:
            return max(hits)
    return None


# ------------------------------------------------------------------------------- report building

def _sample_view(rec) -> dict:
    opts = list(rec.options or [])
    gt, tp, ap = (str(x) if x is not None else None for x in (rec.ground_truth, rec.think_pred, rec.pred))
    options = [{"letter": letter(i), "text": str(o), "gt": letter(i) == gt, "think": letter(i) == tp,
                "answer": letter(i) == ap} for i, o in enumerate(opts)]
    think = reasoning_text(rec.response) if rec.response else rec.think
    parts = split_evidence(think, rec.think_evidence) or split_conclusion(think, rec.think_pred, opts)
    judge = judge_fields(rec.judge)
    return {
        "benchmark": rec.benchmark, "bench_label": PAPER_COLUMNS.get(rec.benchmark, rec.benchmark),
        "doc_id": rec.doc_id, "category": rec.category, "question": rec.question or "",
        "options": options, "ground_truth": "–" if rec.ground_truth is None else str(rec.ground_truth),
        "think_pred": "–" if rec.think_pred is None else str(rec.think_pred),
        "pred": "–" if rec.pred is None else str(rec.pred),
        "correct": rec.correct, "think_correct": rec.think_correct,
        "think_parts": parts, "answer_text": rec.answer_text, "response": rec.response or "",
        "judge_score": judge["score"], "judge_rationale": judge["rationale"],
        "vas_mean": rec.vas_attention.mean if rec.vas_attention is not None else None,
        "tac_source": _no_scheme(rec.tac_source),
        "think_confidence": rec.think_confidence,
    }


def _no_scheme(spec) -> str | None:
    """A judge spec may hold the judge server's URL: shown without the scheme (text, never a link)."""
    return re.sub(r"(?i)\b[a-z][a-z0-9+.-]*://", "", str(spec)) if spec else None


def _summary_rows(summary: pd.DataFrame) -> list[dict]:
    rows = []
    for _, r in summary.iterrows():
        d = {k: (None if (isinstance(v, float) and not np.isfinite(v)) else v) for k, v in r.items()}
        b = str(r["benchmark"])
        d["label"] = PAPER_COLUMNS.get(b, b)
        for m in M.metrics("info"):  # judge specs may hold a server URL: shown as text without the scheme
            if isinstance(d.get(m.name), str):
                d[m.name] = _no_scheme(d[m.name]) or "–"
        d["is_average"] = b in AVERAGE_ROWS or r.get("group") == "average"
        rows.append(d)
    # benchmarks in suite order, then the averages
    order = {b: i for i, b in enumerate(ordered_benchmarks([x["benchmark"] for x in rows]))}
    avg = {a: 100 + i for i, a in enumerate(AVERAGE_ROWS)}
    rows.sort(key=lambda x: order.get(x["benchmark"], avg.get(x["benchmark"], 200)))
    return rows


def choose_curve_sample(records, roots, key: tuple[str, Any] | None = None):
    """(record, sidecar) for the attention curve: the requested key, else the sample with both a
    think and an answer span and the most generated tokens. None when no sidecar is readable."""
    best, best_rank = None, None
    for rec in records:
        if key is not None and (rec.benchmark, str(rec.doc_id)) != (key[0], str(key[1])):
            continue
        if rec.vas_attention is None or not rec.vas_attention.sidecar:
            continue
        side = F.load_sidecar(rec, roots)
        if side is None or not len(side["video"]):
            continue
        rank = (bool(side["think_span"]) and bool(side["answer_span"]), len(side["video"]))
        if best_rank is None or rank > best_rank:
            best, best_rank = (rec, side), rank
    return best


def build_figures(run_dir: Path, records, summary: pd.DataFrame, model_name: str, vas_root=None,
                  curve_sample=None) -> dict:
    """Write every figure of a single-run report; returns what the template shows."""
    fig_dir = run_dir / "figures"
    roots = [vas_root, run_dir] if vas_root is not None else [run_dir]
    out: dict[str, Any] = {"box": [], "box_overview": None, "curve": None, "heatmaps": [], "scatter": None,
                           "flip": None, "notes": []}

    pooled = F.pooled_video_attention(records, roots)
    if pooled:
        colours = {model_name: F.PALETTE[0]}
        for b in ordered_benchmarks(pooled):
            name = f"vas_box_{F.safe_name(b)}"
            fig = F.vas_box({model_name: pooled[b]}, PAPER_COLUMNS.get(b, b), colours)
            out["box"].append(F.save(fig, fig_dir, name, title=PAPER_COLUMNS.get(b, b),
                                     caption=f"{len(pooled[b])} generated tokens"))
        fig = F.vas_box_overview({b: {model_name: a} for b, a in pooled.items()}, [model_name], colours,
                                 title=f"Token-wise video attention — {model_name}")
        out["box_overview"] = F.save(fig, fig_dir, "vas_box_all", title="Token-wise video attention, all benchmarks",
                                     caption=FIGURE_DOCS["vas_box"])
    else:
        out["notes"].append("No attention sidecars were found (run without the attention probe, or "
                            "--no-attention), so the video-attention box plots and the attention curve "
                            "are not drawn.")

    chosen = choose_curve_sample(records, roots, curve_sample) if pooled or curve_sample else None
    if chosen is not None:
        rec, side = chosen
        bl = PAPER_COLUMNS.get(rec.benchmark, rec.benchmark)
        fig = F.attention_curve(side, f"Attention over the reasoning — {bl} #{rec.doc_id}")
        out["curve"] = F.save(fig, fig_dir, "attention_curve", title=f"Attention curve: {bl}, doc {rec.doc_id}",
                              caption=FIGURE_DOCS["curve"])
        out["curve_sample"] = _sample_view(rec)
    elif curve_sample is not None:
        out["notes"].append(f"The requested sample {curve_sample} for the attention curve has no sidecar.")

    for metrics, name, title in (
        (("tac", "tac_corr", "tac_cond"), "heatmap_tac", "Think–Answer Consistency (%)"),
        (("vas_attention", "vas_judge"), "heatmap_vas", "Video Attention Score"),
        (("accuracy",), "heatmap_accuracy", "Accuracy (%)"),
    ):
        present = [m for m in metrics if m in summary.columns]
        if not present:
            continue
        table = summary_matrix(summary, present)
        fig = F.heatmap(table, f"{title} — {model_name}")
        out["heatmaps"].append(F.save(fig, fig_dir, name, title=title, caption=FIGURE_DOCS["heatmap"]))

    flips = [f"flip_{v}" for v in VARIANTS if f"flip_{v}" in summary.columns and summary[f"flip_{v}"].notna().any()]
    if flips:
        fig = F.heatmap(summary_matrix(summary, flips), f"Answer flip rate vs the real run (%) — {model_name}",
                        cmap="OrRd")
        out["flip"] = F.save(fig, fig_dir, "heatmap_flip", title="Answer flip rate", caption=FIGURE_DOCS["flip"])

    bench_rows = summary[~summary["benchmark"].astype(str).isin(AVERAGE_ROWS)].copy()
    if {"accuracy", "tac"} <= set(summary.columns) and len(bench_rows):
        bench_rows["label"] = model_name
        bench_rows["group"] = ["generic" if b in BENCHMARKS_GENERIC else "reasoning" for b in bench_rows["benchmark"]]
        fig = F.scatter_acc_tac(bench_rows, f"Accuracy vs TAC — {model_name}")
        out["scatter"] = F.save(fig, fig_dir, "scatter_accuracy_tac", title="Accuracy vs TAC",
                                caption=FIGURE_DOCS["scatter"])
    return out


def reliance_view(records: list, summary: pd.DataFrame, max_samples: int = MAX_LISTED_SAMPLES) -> dict:
    """What the Video reliance section shows: the variants present, the summary columns of its
    tables, and the samples whose answer never changes without video."""
    present = [v for v in VARIANTS if any(v in r.variants for r in records)]
    acc = ["cf_n", "acc_cf_real", *(f"acc_{v}" for v in present),
           *(name for name, v, _, _ in M.RELIANCE if v in present),
           *(["answer_fixed_no_video"] if set(present) & set(VIDEOLESS) else [])]
    vas = ["vas_attention_cf_real", *(f"vas_attention_{v}" for v in present if f"vas_attention_{v}" in summary.columns)]
    fixed = [r for r in records if R.answer_fixed_without_video(r) == 100.0]
    listed = []
    for r in fixed[:max_samples]:
        view = _sample_view(r)
        view["variant_answers"] = [(v, "–" if r.variants[v].pred in (None, "") else str(r.variants[v].pred))
                                   for v in VIDEOLESS if v in r.variants]
        listed.append(view)
    return {"variants": present, "labels": M.VARIANT_LABELS, "acc_columns": acc, "vas_columns": vas,
            "two_by_two": [c for c in summary.columns if c.startswith("think_") and "_answer_" in c] + ["tac_unknown"],
            "fixed": listed, "n_fixed": len(fixed), "n_paired": sum(1 for r in records if R.has_pair(r))}


def write_report(run_dir: str | os.PathLike, records: Iterable, summary: pd.DataFrame, *, title: str,
                 model_name: str, vas_root: str | os.PathLike | None = None,
                 curve_sample: tuple[str, Any] | None = None, max_samples: int = MAX_LISTED_SAMPLES) -> Path:
    """Write the report folder of one run into `run_dir`; returns the path of index.html.

    records: SampleRecords of the run; summary: the frame of diagnostics.summary.summarize;
    vas_root: directory the records' relative `vas_attention["sidecar"]` paths start from (default
    run_dir); curve_sample: (benchmark, doc_id) of the sample whose attention curve to draw
    (default: the longest with both a think and an answer span).
    """
    run_dir = Path(run_dir)
    records = list(records)
    paths = write_tables(run_dir, records, summary)
    figs = build_figures(run_dir, records, summary, model_name, vas_root, curve_sample)

    inconsistent = [r for r in records if r.consistent is False]
    benches = ordered_benchmarks(r.benchmark for r in inconsistent)
    shown = [_sample_view(r) for r in sorted(inconsistent, key=lambda r: (
        benches.index(r.benchmark) if r.benchmark in benches else 99, str(r.doc_id)))[:max_samples]]
    rsum = round_summary(summary)
    overall = rsum[rsum["benchmark"].astype(str) == "Overall"]
    headline = overall.iloc[0].to_dict() if len(overall) else {}
    statuses: dict[str, int] = {}
    for r in records:
        statuses[r.status] = statuses.get(r.status, 0) + 1

    rows = _summary_rows(rsum)
    html = render(
        "report.html.j2",
        title=title, model_name=model_name,
        generated=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        n_records=len(records), n_benchmarks=len({r.benchmark for r in records}),
        n_errors=sum(1 for r in records if r.status != "ok"), statuses=statuses,
        n_inconsistent=len(inconsistent), n_consistent_known=sum(1 for r in records if r.consistent is not None),
        headline=headline, metric_labels=M.labels(), table_metrics=[m for m in M.metrics() if m.html],
        rows=rows, any_lower_bound=any(bool(r.get("tac_lower_bound")) for r in rows),
        lower_bound_coverage=LOWER_BOUND_COVERAGE, column_docs=summary_column_docs(), sample_column_docs=SAMPLE_COLUMN_DOCS,
        figs=figs, samples=shown, sample_benches=[(b, PAPER_COLUMNS.get(b, b)) for b in benches],
        truncated=max(0, len(inconsistent) - len(shown)), files=[p.name for p in paths.values()],
        reliance=reliance_view(records, summary, max_samples), metric_docs={m.name: m.doc for m in M.metrics()},
    )
    index = run_dir / "index.html"
    tmp = index.with_name("index.html.tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, index)
    return index
