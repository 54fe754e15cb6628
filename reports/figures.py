"""Figures of a report (matplotlib, object-oriented API: no pyplot state, no GUI backend).

Each figure is written as PNG and SVG; the HTML embeds the PNG as base64.
- `vas_box`: token-wise video attention, one box per model (the paper's Figure 1 style);
- `vas_box_overview`: the same for every benchmark side by side;
- `attention_curve`: video / text / generated shares of one sample over its generated tokens;
- `heatmap`: rows (models or metrics) x the paper's benchmark columns, generic/reasoning split;
- `scatter_acc_tac`: accuracy versus TAC per benchmark.
"""

from __future__ import annotations

import base64
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np
import pandas as pd
from matplotlib import rcParams
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

from videor2.tasks.registry import BENCHMARKS_GENERIC, BENCHMARKS_REASONING, PAPER_COLUMNS
from videor2.records import SampleRecord

from .tables import WIDE_COLUMNS, is_finite

PALETTE = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C",
           "#CCB974", "#64B5CD"]
GROUP_COLOURS = {"generic": "#4C72B0", "reasoning": "#DD8452"}
SERIES_COLOURS = {"video": "#C44E52", "text": "#4C72B0", "generated": "#BFBFBF"}
STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#E5E5E5",
    "grid.linewidth": 0.8,
    "svg.hashsalt": "videor2",       # reproducible SVG ids
    "svg.fonttype": "path",
}
PNG_DPI = 110


@dataclass
class FigureFile:
    """A written figure: its files and what the HTML needs to show it."""
    name: str
    title: str
    png: Path
    svg: Path
    png_b64: str = field(repr=False)
    caption: str = ""
    width: int = 0       # PNG pixels (the HTML shows it at its natural size, scaled down if needed)
    height: int = 0


def new_figure(width: float, height: float) -> Figure:
    with _style():
        fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


class _style:
    """rcParams applied while figures are built and saved (restored afterwards)."""

    def __enter__(self):
        self._saved = {k: rcParams[k] for k in STYLE}
        rcParams.update(STYLE)

    def __exit__(self, *exc):
        rcParams.update(self._saved)


def save(fig: Figure, out_dir: str | os.PathLike, name: str, *, title: str = "", caption: str = "") -> FigureFile:
    """Write <out_dir>/<name>.png and .svg; return them with the PNG as base64."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    png, svg = out_dir / f"{name}.png", out_dir / f"{name}.svg"
    with _style():
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=PNG_DPI, facecolor="white", metadata={"Software": None})
        data = buf.getvalue()
        png.write_bytes(data)
        fig.savefig(svg, format="svg", facecolor="white", metadata={"Date": None})
    w, h = (int(round(v * PNG_DPI)) for v in fig.get_size_inches())
    fig.clear()
    return FigureFile(name=name, title=title, png=png, svg=svg,
                      png_b64=base64.b64encode(data).decode("ascii"), caption=caption, width=w, height=h)


# ------------------------------------------------------------------------------------ data loading

def resolve_sidecar(rec: SampleRecord, roots: Iterable[str | os.PathLike]) -> Path | None:
    """The sidecar file of a record, looked up under each root in turn (None when absent)."""
    rel = rec.vas_attention.sidecar if rec.vas_attention is not None else None
    if not rel:
        return None
    p = Path(rel)
    if p.is_absolute():
        return p if p.is_file() else None
    for root in roots:
        if root is None:
            continue
        cand = Path(root) / p
        if cand.is_file():
            return cand
    return None


def load_sidecar(rec: SampleRecord, roots: Iterable[str | os.PathLike]) -> dict | None:
    from videor2.diagnostics.vas_store import read_sidecar

    path = resolve_sidecar(rec, roots)
    if path is None:
        return None
    try:
        return read_sidecar(path)
    except Exception:  # a damaged sidecar must not stop the report
        return None


def pooled_video_attention(records: Iterable[SampleRecord], roots: Iterable[str | os.PathLike]) -> dict[str, np.ndarray]:
    """benchmark -> the sidecar `video` series of all its samples, concatenated (percent per token)."""
    roots = list(roots)
    pooled: dict[str, list[np.ndarray]] = {}
    for rec in records:
        side = load_sidecar(rec, roots)
        if side is None:
            continue
        v = np.asarray(side["video"], dtype=float)
        v = v[np.isfinite(v)]
        if v.size:
            pooled.setdefault(rec.benchmark, []).append(v)
    return {b: np.concatenate(vs) for b, vs in pooled.items()}


# ------------------------------------------------------------------------------------- box plots

def _box(ax, data: list[np.ndarray], labels: list[str], colours: list[str], positions=None, width=0.6,
         annotate=True):
    positions = list(range(1, len(data) + 1)) if positions is None else positions
    bp = ax.boxplot(
        data, positions=positions, widths=width, showmeans=True, showfliers=False, whis=1.5,
        patch_artist=True, tick_labels=labels,
        medianprops={"color": "#222222", "linewidth": 1.4},
        meanprops={"marker": "D", "markerfacecolor": "white", "markeredgecolor": "#222222", "markersize": 5},
        whiskerprops={"color": "#555555"}, capprops={"color": "#555555"},
        boxprops={"edgecolor": "#333333", "linewidth": 1.0},
    )
    for patch, c in zip(bp["boxes"], colours):
        patch.set_facecolor((*to_rgb(c), 0.55))
    if annotate:
        for x, d in zip(positions, data):
            if len(d):
                m = float(np.mean(d))
                ax.annotate(f"{m:.1f}", (x + width / 2 + 0.02, m), fontsize=7.5, va="center", color="#222222")
    return bp


def vas_box(data: Mapping[str, np.ndarray], title: str, colours: Mapping[str, str] | None = None) -> Figure:
    """One benchmark: a box per model of its token-wise video attention (percent)."""
    labels = list(data)
    colours = colours or {}
    fig = new_figure(max(3.2, 1.1 * len(labels) + 1.6), 3.4)
    ax = fig.add_subplot()
    _box(ax, [np.asarray(data[k]) for k in labels], labels,
         [colours.get(k, PALETTE[i % len(PALETTE)]) for i, k in enumerate(labels)])
    ax.set_title(title)
    ax.set_ylabel("video attention per token (%)")
    ax.set_ylim(bottom=0)
    ax.grid(axis="x", visible=False)
    if len(labels) > 3:
        for t in ax.get_xticklabels():
            t.set_rotation(20)
            t.set_ha("right")
    return fig


def vas_box_overview(data: Mapping[str, Mapping[str, np.ndarray]], models: list[str],
                     colours: Mapping[str, str] | None = None, title: str = "") -> Figure:
    """Every benchmark on the x axis (suite order), one box per model, generic | reasoning split."""
    benches = [b for b in (*BENCHMARKS_GENERIC, *BENCHMARKS_REASONING) if b in data] + \
              sorted(b for b in data if b not in PAPER_COLUMNS)
    colours = colours or {m: PALETTE[i % len(PALETTE)] for i, m in enumerate(models)}
    k = max(1, len(models))
    width = 0.8 / k
    fig = new_figure(max(6.0, 0.65 * len(benches) * max(1, k * 0.7) + 1.5), 3.8)
    ax = fig.add_subplot()
    for j, m in enumerate(models):
        series, pos = [], []
        for i, b in enumerate(benches):
            arr = data[b].get(m)
            if arr is not None and len(arr):
                series.append(np.asarray(arr))
                pos.append(i + 1 - 0.4 + width * (j + 0.5))
        if series:
            _box(ax, series, [""] * len(series), [colours[m]] * len(series), positions=pos,
                 width=width * (0.55 if k == 1 else 0.85), annotate=(k == 1))
    ax.set_xticks(range(1, len(benches) + 1))
    ax.set_xticklabels([PAPER_COLUMNS.get(b, b) for b in benches], rotation=30, ha="right")
    ax.set_xlim(0.4, len(benches) + 0.6)
    ax.set_ylim(bottom=0)
    ax.grid(axis="x", visible=False)
    ax.set_ylabel("video attention per token (%)")
    n_gen = sum(b in BENCHMARKS_GENERIC for b in benches)
    if 0 < n_gen < len(benches):
        ax.axvline(n_gen + 0.5, color="#888888", linestyle="--", linewidth=1)
    _span_labels(ax, n_gen, len(benches))
    if k > 1:
        from matplotlib.patches import Patch

        ax.legend(handles=[Patch(facecolor=(*to_rgb(colours[m]), 0.55), edgecolor="#333333", label=m)
                           for m in models], loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    if title:
        ax.set_title(title, pad=20)
    return fig


def _span_labels(ax, n_gen: int, n_all: int) -> None:
    """"Generic" / "Reasoning" above the two halves of a benchmark axis (data x = 1..n)."""
    trans = ax.get_xaxis_transform()
    if n_gen:
        ax.text((1 + n_gen) / 2, 1.01, "Generic", transform=trans, ha="center", va="bottom",
                color=GROUP_COLOURS["generic"], fontweight="bold", fontsize=8.5)
    if n_all > n_gen:
        ax.text((n_gen + 1 + n_all) / 2, 1.01, "Reasoning", transform=trans, ha="center", va="bottom",
                color=GROUP_COLOURS["reasoning"], fontweight="bold", fontsize=8.5)


# --------------------------------------------------------------------------------- attention curve

def attention_curve(side: dict, title: str, smooth: int = 0) -> Figure:
    """Stacked shares (video / text / generated, summing to 100 %) per generated token.

    The think span is shaded and the start of the answer marked by a vertical line.
    """
    video = np.asarray(side["video"], dtype=float)
    text = np.asarray(side["text"], dtype=float)
    gen = np.asarray(side["generated"], dtype=float)
    n = len(video)
    x = np.arange(n)
    if smooth and smooth > 1 and n > smooth:
        kern = np.ones(smooth) / smooth
        video, text, gen = (np.convolve(s, kern, mode="same") for s in (video, text, gen))
    fig = new_figure(8.0, 3.4)
    ax = fig.add_subplot()
    ax.stackplot(x, video, text, gen, labels=["video", "text (system + question)", "generated so far"],
                 colors=[SERIES_COLOURS["video"], SERIES_COLOURS["text"], SERIES_COLOURS["generated"]],
                 alpha=0.85, linewidth=0)
    ax.plot(x, video, color="#7A1F22", linewidth=0.8)
    ax.set_xlim(0, max(1, n - 1))
    ax.set_ylim(0, 100)
    ax.set_xlabel("generated token")
    ax.set_ylabel("share of attention (%)")
    ax.grid(False)
    trans = ax.get_xaxis_transform()
    think, answer = side.get("think_span"), side.get("answer_span")
    if think:
        ax.axvspan(think[0], think[1] - 1 if think[1] > think[0] else think[1], ymin=1.0, ymax=1.04,
                   color=GROUP_COLOURS["generic"], clip_on=False)
        ax.text((think[0] + think[1]) / 2, 1.055, "<think>", transform=trans, ha="center", va="bottom",
                fontsize=8, color=GROUP_COLOURS["generic"])
    if answer:
        ax.axvspan(answer[0], max(answer[0] + 0.5, answer[1] - 1), ymin=1.0, ymax=1.04,
                   color=GROUP_COLOURS["reasoning"], clip_on=False)
        ax.axvline(answer[0], color="black", linestyle="--", linewidth=1.2)
        ax.text(answer[0], 0.97, " <answer> ", transform=trans, ha="right" if answer[0] > n * 0.7 else "left",
                va="top", fontsize=8, color="black",
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1})
    elif think and think[1] < n:
        ax.axvline(think[1], color="black", linestyle="--", linewidth=1.2)
    mean_v = float(np.mean(side["video"])) if n else float("nan")
    ax.axhline(mean_v, color="white", linestyle=":", linewidth=1) if n else None
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    ax.set_title(title, pad=24)
    return fig


# ------------------------------------------------------------------------------------- heatmaps

def heatmap(table: pd.DataFrame, title: str, *, vmin: float | None = 0.0, vmax: float | None = 100.0,
            cmap: str = "YlGnBu", paper_rows: Iterable[str] = (), digits: int = 1) -> Figure:
    """Rows x the paper's columns (WIDE_COLUMNS), annotated; NaN cells grey with "–".

    Columns are split into Generic (5 + average) | Reasoning (6 + average) | Overall, as in the
    paper's tables; rows listed in `paper_rows` (published numbers) are set apart by a line.
    """
    cols = [c for c in WIDE_COLUMNS if c in table.columns]
    data = table[cols].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    rows = [str(r) for r in table.index]
    finite = data[np.isfinite(data)]
    if vmin is None:
        vmin = float(finite.min()) if finite.size else 0.0
    if vmax is None:
        vmax = float(finite.max()) if finite.size else 1.0
    if vmax <= vmin:
        vmax = vmin + 1.0
    fig = new_figure(1.0 + 0.62 * len(cols) + 0.09 * max(len(r) for r in rows) if rows else 8, 1.5 + 0.42 * max(1, len(rows)))
    ax = fig.add_subplot()
    masked = np.ma.masked_invalid(data)
    import matplotlib

    cm = matplotlib.colormaps[cmap].with_extremes(bad="#EFEFEF")
    im = ax.imshow(masked, cmap=cm, vmin=vmin, vmax=vmax, aspect="auto", interpolation="nearest")
    for i in range(data.shape[0]):
        for j in range(data.shape[1]):
            v = data[i, j]
            if is_finite(v):
                r, g, b, _ = cm((v - vmin) / (vmax - vmin))
                dark = (0.299 * r + 0.587 * g + 0.114 * b) < 0.55
                ax.text(j, i, f"{v:.{digits}f}", ha="center", va="center", fontsize=8,
                        color="white" if dark else "#1A1A1A",
                        fontweight="bold" if cols[j].startswith("Avg_") else "normal")
            else:
                ax.text(j, i, "–", ha="center", va="center", fontsize=8, color="#9A9A9A")
    ax.set_xticks(range(len(cols)))
    ax.set_xticklabels([c.replace("Avg_", "Avg. ") for c in cols], rotation=35, ha="right")
    for t, c in zip(ax.get_xticklabels(), cols):
        if c.startswith("Avg_"):
            t.set_fontweight("bold")
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(rows)
    paper_rows = set(paper_rows)
    for t, r in zip(ax.get_yticklabels(), rows):
        if r in paper_rows:
            t.set_fontstyle("italic")
            t.set_color("#555555")
    ax.grid(False)
    for s in ax.spines.values():
        s.set_visible(False)
    ax.tick_params(length=0)
    # the generic | reasoning | overall split
    for c in ("Avg_Generic", "Avg_Reasoning"):
        if c in cols:
            ax.axvline(cols.index(c) + 0.5, color="white", linewidth=4)
    trans = ax.get_xaxis_transform()
    gen = [i for i, c in enumerate(cols) if c in {PAPER_COLUMNS[b] for b in BENCHMARKS_GENERIC} or c == "Avg_Generic"]
    rea = [i for i, c in enumerate(cols) if c in {PAPER_COLUMNS[b] for b in BENCHMARKS_REASONING} or c == "Avg_Reasoning"]
    for idx, name in ((gen, "generic"), (rea, "reasoning")):
        if idx:
            ax.plot([min(idx) - 0.4, max(idx) + 0.4], [1.02, 1.02], transform=trans, color=GROUP_COLOURS[name],
                    linewidth=2.5, clip_on=False, solid_capstyle="butt")
            ax.text((min(idx) + max(idx)) / 2, 1.04, name.capitalize(), transform=trans, ha="center", va="bottom",
                    color=GROUP_COLOURS[name], fontweight="bold", fontsize=8.5)
    # published rows below the measured ones
    idx_paper = [i for i, r in enumerate(rows) if r in paper_rows]
    if idx_paper and len(idx_paper) < len(rows):
        ax.axhline(min(idx_paper) - 0.5, color="white", linewidth=4)
    cb = fig.colorbar(im, ax=ax, fraction=0.025, pad=0.01)
    cb.outline.set_visible(False)
    cb.ax.tick_params(labelsize=7)
    ax.set_title(title, pad=22)
    return fig


# -------------------------------------------------------------------------------------- scatter

def scatter_acc_tac(points: pd.DataFrame, title: str, tac_metric: str = "tac", by: str = "group") -> Figure:
    """Accuracy (x) versus TAC (y), one point per benchmark (and model); 95 % intervals as bars.

    `points` needs columns benchmark, label, group, accuracy, <tac_metric> and optional *_lo/_hi.
    Colours by `by` ("group": generic/reasoning, "label": model); generic points are circles,
    reasoning points squares.
    """
    fig = new_figure(6.6, 4.4)
    ax = fig.add_subplot()
    pts = points[np.isfinite(pd.to_numeric(points["accuracy"], errors="coerce").astype(float))
                 & np.isfinite(pd.to_numeric(points[tac_metric], errors="coerce").astype(float))]
    labels = list(dict.fromkeys(pts["label"])) if "label" in pts else []
    colour_of = ({lab: PALETTE[i % len(PALETTE)] for i, lab in enumerate(labels)} if by == "label"
                 else GROUP_COLOURS)
    for _, r in pts.iterrows():
        key = r["label"] if by == "label" else r["group"]
        c = colour_of.get(key, "#777777")
        x, y = float(r["accuracy"]), float(r[tac_metric])
        xerr = _err(r, "accuracy", x)
        yerr = _err(r, tac_metric, y)
        ax.errorbar(x, y, xerr=xerr, yerr=yerr, fmt="o" if r["group"] == "generic" else "s", color=c,
                    ecolor=(*to_rgb(c), 0.35), elinewidth=1, capsize=0, markersize=6,
                    markeredgecolor="white", markeredgewidth=0.6)
        if by == "group" or len(labels) == 1:
            ax.annotate(PAPER_COLUMNS.get(r["benchmark"], r["benchmark"]), (x, y), xytext=(4, 3),
                        textcoords="offset points", fontsize=7, color="#333333")
    ax.set_xlabel("accuracy (%)")
    ax.set_ylabel({"tac": "TAC (%)", "tac_cond": "TAC, conditional (%)", "tac_corr": "TAC, correlation (%)"}
                  .get(tac_metric, tac_metric))
    ax.set_xlim(-2, 102)
    ax.set_ylim(-2, 102)
    ax.plot([0, 100], [0, 100], color="#CCCCCC", linewidth=0.8, linestyle=":")
    from matplotlib.lines import Line2D

    if by == "label":
        handles = [Line2D([], [], marker="o", linestyle="", color=colour_of[lab], label=lab) for lab in labels]
    else:
        handles = [Line2D([], [], marker="o", linestyle="", color=GROUP_COLOURS["generic"], label="generic"),
                   Line2D([], [], marker="s", linestyle="", color=GROUP_COLOURS["reasoning"], label="reasoning")]
    ax.legend(handles=handles, loc="lower right", fontsize=8, frameon=False)
    ax.set_title(title)
    return fig


def _err(r: pd.Series, metric: str, v: float):
    lo, hi = r.get(f"{metric}_lo"), r.get(f"{metric}_hi")
    if is_finite(lo) and is_finite(hi):
        return [[max(0.0, v - float(lo))], [max(0.0, float(hi) - v)]]
    return None


def safe_name(name: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "x"


__all__ = [
    "FigureFile", "save", "vas_box", "vas_box_overview", "attention_curve", "heatmap", "scatter_acc_tac",
    "pooled_video_attention", "load_sidecar", "resolve_sidecar", "PALETTE", "GROUP_COLOURS",
]
