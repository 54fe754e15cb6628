"""The report layer: tables, figures, the self-contained index.html, and the comparison of runs.

Everything is synthetic (records, sidecars, summaries, a paper folder): no model, no network.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from videor2.tasks.registry import BENCHMARKS, BENCHMARKS_GENERIC, BENCHMARKS_REASONING, PAPER_COLUMNS
from videor2.records import SampleRecord

XSS = "<script>window.__xss=1</script>"
# What the browser test looks for: this script would mark the DOM if it ever ran.
XSS_DOM = "<script>document.documentElement.setAttribute('data-pwned','1');document.title='PWNED'</script>"
XSS_IMG = '<img src=x onerror="document.documentElement.setAttribute(\'data-pwned-img\',\'1\')">'
PER_BENCH = 4


# ------------------------------------------------------------------------------ synthetic data

def make_records(run_dir: Path, model: str = "tiny", seed: int = 0, sidecars: bool = True) -> list[SampleRecord]:
    """PER_BENCH records per benchmark; about a third inconsistent, the first carrying script
    injections; the first two per benchmark with attention sidecars under run_dir/vas/."""
    from videor2.diagnostics.vas_store import sidecar_path, write_sidecar

    rng = np.random.default_rng(seed)
    recs = []
    for bi, b in enumerate(BENCHMARKS):
        for i in range(PER_BENCH):
            gt = "ABCD"[i % 4]
            ans = gt if (i + bi + seed) % 3 else "ABCD"[(i + 1) % 4]
            inconsistent = (i + bi) % 3 == 1
            think_letter = "ABCD"[("ABCD".index(ans) + 1) % 4] if inconsistent else ans
            think = (f"The video shows a red car turning left at 00:12.\nThen a person crosses.\n"
                     f"Option {think_letter} matches what happens, so the answer is {think_letter}.")
            resp = f"<think>{think}</think><answer>{ans}</answer>"
            if bi == 0 and i == 1:
                think = think + " " + XSS + " " + XSS_DOM + " " + XSS_IMG
                resp = f"<think>{think}</think><answer>{ans}</answer>"
            rec = SampleRecord(
                benchmark=b, doc_id=i, model=model,
                question=f"What does the car do in clip {i} of {b}? <b>bold?</b> & more",
                options=["turns left", "turns right", "stops", "reverses"],
                ground_truth=gt, category="action", response=resp, think=think, answer_text=ans,
                parse_status="ok", pred=ans, score=float(ans == gt), ref_pred=ans, ref_score=float(ans == gt), correct=ans == gt,
                think_pred=think_letter, think_correct=think_letter == gt, consistent=not inconsistent,
                tac_source="rules",
            )
            score = float(rng.integers(3, 10))
            if i % 2:  # the shape diagnostics.tac writes; a flat {"score", "rationale"} is accepted too
                rec.tac_source = "openai:http://127.0.0.1:1/v1"
                rec.judge = {"spec": "openai:http://127.0.0.1:1/v1", "status": "ok", "error": None,
                             "grounding": {"score": score, "rationale": "cites the red car", "status": "ok"}}
            else:
                rec.judge = {"score": score, "rationale": "cites the red car"}
            if bi == 1 and i == 3:
                rec.status, rec.error = "generation_error", "CUDA out of memory <oops>"
            if sidecars and i < 2:
                n = 40 + 10 * i
                video = np.clip(rng.normal(15 + bi, 6, n), 0.5, 60)
                text = np.clip(rng.normal(30, 5, n), 0, 100 - video)
                gen = 100 - video - text
                think_end = int(n * 0.8)
                rel = sidecar_path("vas", f"videor2_{b}", i)
                write_sidecar(run_dir / rel, {"video": video, "text": text, "generated": gen},
                              think_span=(1, think_end), answer_span=(think_end + 1, n - 1),
                              meta={"tokens": ["tok"] * n})
                rec.vas_attention = {"mean": float(video.mean()), "median": float(np.median(video)),
                                     "q1": 1.0, "q3": 2.0, "whislo": 0.5, "whishi": 3.0, "n_tokens": n,
                                     "think": {"mean": float(video[:think_end].mean())},
                                     "answer": {"mean": float(video[think_end:].mean())},
                                     "sidecar": rel.as_posix()}
            recs.append(rec)
    return recs


def make_summary(records: list[SampleRecord], offset: float = 0.0) -> pd.DataFrame:
    """A summary frame shaped like diagnostics.summary.summarize (values computed plainly)."""
    rows = []
    for bi, b in enumerate(BENCHMARKS):
        rs = [r for r in records if r.benchmark == b]
        acc = 100 * np.mean([bool(r.correct) for r in rs]) + offset - 1.7 * bi
        tac = 100 * np.mean([bool(r.consistent) for r in rs]) + offset / 2 + 1.3 * bi
        vas = [r.vas_attention.mean for r in rs if r.vas_attention]
        judge = [r.judge.grounding_score for r in rs]
        rows.append({
            "benchmark": b, "group": "generic" if b in BENCHMARKS_GENERIC else "reasoning", "n": len(rs),
            "errors": sum(r.status != "ok" for r in rs),
            "accuracy": acc, "accuracy_lo": max(0.0, acc - 20.123), "accuracy_hi": min(100.0, acc + 15.456),
            "tac": tac, "tac_lo": tac - 10, "tac_hi": min(100, tac + 10), "tac_unknown": bi % 2,
            "tac_corr": 100 * np.mean([r.correct == r.think_correct for r in rs]), "tac_corr_lo": np.nan, "tac_corr_hi": np.nan,
            "tac_cond": 70.0 + len(b) / 3, "tac_cond_lo": 60.0, "tac_cond_hi": 80.0,
            "vas_attention": float(np.mean(vas)) if vas else np.nan, "vas_attention_lo": np.nan, "vas_attention_hi": np.nan,
            "vas_judge": 10 * float(np.mean(judge)), "vas_judge_lo": 10 * float(np.mean(judge)) - 5,
            "vas_judge_hi": 10 * float(np.mean(judge)) + 5,
            "judge_errors": 0, "judge_rules_agreement": np.nan,
        })
    df = pd.DataFrame(rows)
    for name, group, benches in (("Generic", "average", BENCHMARKS_GENERIC), ("Reasoning", "average", BENCHMARKS_REASONING),
                                 ("Overall", "average", BENCHMARKS)):
        sub = df[df["benchmark"].isin(benches)]
        row = {"benchmark": name, "group": group, "n": int(sub["n"].sum()), "errors": int(sub["errors"].sum()),
               "tac_unknown": int(sub["tac_unknown"].sum()), "judge_errors": 0}  # counts are sums
        for c in df.columns:
            if c not in row:
                row[c] = sub[c].mean()
        rows.append(row)
    return pd.DataFrame(rows)


def build_run(run_dir: Path, model: str = "tiny", seed: int = 0, offset: float = 0.0, protocol: str | None = None):
    from videor2.reports.html import write_report

    run_dir.mkdir(parents=True, exist_ok=True)
    records = make_records(run_dir, model=model, seed=seed)
    summary = make_summary(records, offset)
    if protocol:
        (run_dir / "run_info.json").write_text(json.dumps({"model": model, "protocol": protocol}))
    index = write_report(run_dir, records, summary, title=f"Diagnostic report — {model}", model_name=model)
    return index, records, summary


def write_paper_dir(d: Path) -> Path:
    """A small paper folder with the same layout as ../shared/paper."""
    d.mkdir(parents=True, exist_ok=True)
    gen = [PAPER_COLUMNS[b] for b in BENCHMARKS_GENERIC]
    rea = [PAPER_COLUMNS[b] for b in BENCHMARKS_REASONING]
    acc = pd.DataFrame([
        {"model": "Video-R2", "kind": "reasoning", **{c: 60 + i for i, c in enumerate(gen)}, "Avg_Generic": 62.0,
         **{c: 30 + i for i, c in enumerate(rea)}, "Avg_Reasoning": 32.5, "Avg_Overall": 46.1},
        {"model": "Video-R1", "kind": "reasoning", **{c: 50 + i for i, c in enumerate(gen)}, "Avg_Generic": 52.0,
         **{c: 20 + i for i, c in enumerate(rea)}, "Avg_Reasoning": 22.5, "Avg_Overall": 36.1},
    ])
    acc.to_csv(d / "accuracy.csv", index=False)
    for name, base in (("tac.csv", 80.0), ("vas.csv", 60.0)):
        pd.DataFrame([
            {"model": "Video-R2", **{c: base + i / 10 for i, c in enumerate(gen + rea)}, "Avg_Overall": base + 0.55},
            {"model": "Video-R1", **{c: base - 10 + i / 10 for i, c in enumerate(gen + rea)}, "Avg_Overall": base - 9.45},
        ]).to_csv(d / name, index=False)
    return d


@pytest.fixture(scope="module")
def run_a(tmp_path_factory):
    d = tmp_path_factory.mktemp("runs") / "tiny-unified"
    index, records, summary = build_run(d, model="tiny", seed=0, protocol="unified")
    return d, index, records, summary


@pytest.fixture(scope="module")
def run_b(tmp_path_factory):
    d = tmp_path_factory.mktemp("runs") / "tiny-paper"
    index, records, summary = build_run(d, model="tiny", seed=1, offset=3.0, protocol="paper")
    return d, index, records, summary


# ------------------------------------------------------------------------------ single-run report

def test_report_files_exist(run_a):
    d, index, records, _ = run_a
    assert index == d / "index.html"
    for name in ("summary.csv", "samples.csv", "samples.jsonl", "index.html"):
        assert (d / name).stat().st_size > 100, name
    figs = d / "figures"
    expected = ["vas_box_all", "attention_curve", "heatmap_tac", "heatmap_vas", "heatmap_accuracy",
                "scatter_accuracy_tac"] + [f"vas_box_{b}" for b in BENCHMARKS]
    for name in expected:
        png, svg = figs / f"{name}.png", figs / f"{name}.svg"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert png.stat().st_size > 5_000, name
        text = svg.read_text()
        assert "<svg" in text and svg.stat().st_size > 5_000, name


def test_summary_csv_round_trips(run_a):
    d, _, _, summary = run_a
    back = pd.read_csv(d / "summary.csv")
    assert list(back.columns) == list(summary.columns)
    assert list(back["benchmark"]) == list(summary["benchmark"])
    assert len(back) == 14
    for col in summary.columns:
        if col in ("benchmark", "group"):
            assert list(back[col]) == list(summary[col])
        else:
            np.testing.assert_allclose(back[col].to_numpy(float), summary[col].to_numpy(float), atol=0.006,
                                       equal_nan=True, err_msg=col)


def test_samples_tables(run_a):
    d, _, records, _ = run_a
    samples = pd.read_csv(d / "samples.csv")
    assert len(samples) == len(records) == PER_BENCH * len(BENCHMARKS)
    for col in ("benchmark", "doc_id", "question", "options", "response", "think", "consistent", "judge_score",
                "vas_att_mean"):
        assert col in samples.columns
    assert samples["response"].str.contains(re.escape(XSS)).any()  # the raw text, kept verbatim in CSV
    assert samples["options"].iloc[0].startswith("A. turns left | B. turns right")
    assert samples["judge_score"].notna().all() and (samples["judge_rationale"] == "cites the red car").all()
    assert samples.loc[1, "judge_spec"].startswith("openai:") and samples.loc[1, "judge_status"] == "ok"
    lines = (d / "samples.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(records)
    back = SampleRecord.from_dict(json.loads(lines[1]))
    assert back.to_dict() == records[1].to_dict()


def test_html_escapes_model_text(run_a):
    d, index, _, _ = run_a
    html = index.read_text(encoding="utf-8")
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in html
    assert "<script>window.__xss" not in html
    assert "data-pwned" not in html.replace("setAttribute(&#39;data-pwned", "")
    assert "<img src=x" not in html
    # the only <script> element is the report's own inline filter
    assert html.count("<script") == 1
    assert "&lt;b&gt;bold?&lt;/b&gt; &amp; more" in html
    assert "CUDA out of memory" not in html or "&lt;oops&gt;" in html


def test_html_is_self_contained(run_a):
    _, index, _, _ = run_a
    html = index.read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html
    for attr in re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", html):
        assert attr.startswith(("data:", "#")), attr
    assert "url(" not in html and "@import" not in html
    assert html.count("data:image/png;base64,") >= 6


def test_html_content(run_a):
    _, index, records, summary = run_a
    html = index.read_text(encoding="utf-8")
    assert 'id="summary-table"' in html
    for b in BENCHMARKS:
        assert PAPER_COLUMNS[b] in html
    for col in ("accuracy", "tac_cond", "vas_attention", "vas_judge", "judge_rules_agreement"):
        assert f"<dt>{col}</dt>" in html
    n_inc = sum(r.consistent is False for r in records)
    assert html.count('<details class="sample"') == n_inc
    assert "<mark>" in html
    assert "–" in html  # NaN cells (tac_corr intervals, judge_rules_agreement)
    overall = summary[summary["benchmark"] == "Overall"].iloc[0]
    assert f"{overall['accuracy']:.1f}" in html
    assert ">nan<" not in html.lower() and "None" not in html.split("<script")[0].split("</style>")[1]


def test_no_sidecars_note(tmp_path):
    from videor2.reports.html import write_report

    records = make_records(tmp_path, sidecars=False)[:8]
    summary = make_summary(make_records(tmp_path / "x", sidecars=False))
    summary.loc[0, "accuracy"] = math.inf
    index = write_report(tmp_path / "r", records, summary, title="t", model_name="m")
    html = index.read_text(encoding="utf-8")
    assert "No attention sidecars were found" in html
    assert not (tmp_path / "r" / "figures" / "vas_box_all.png").exists()
    assert (tmp_path / "r" / "figures" / "heatmap_tac.svg").exists()
    assert ">inf<" not in html


def test_conclusion_highlight():
    from videor2.reports.html import split_conclusion

    think = "First I look at A. It seems wrong.\nThe car turns right. So option B is correct. Done"
    before, mark, after = split_conclusion(think, "B", ["turns left", "turns right"])
    assert mark == "So option B is correct."
    assert before + mark + after == think
    _, mark, _ = split_conclusion("It is clearly turns left. Hmm", "A", ["turns left", "x"])
    assert mark == "It is clearly turns left."
    _, mark, _ = split_conclusion("No idea here. Really none", "UNKNOWN", [])
    assert mark == "Really none"
    assert split_conclusion("", "A", []) is None
    _, mark, _ = split_conclusion("The count is 12.5 items. End.", 12.5, [])
    assert mark == "The count is 12.5 items."


# ------------------------------------------------------------------------------ comparison

@pytest.fixture(scope="module")
def compared(run_a, run_b, tmp_path_factory):
    """`videor2 report RUN_A RUN_B --out DIR --paper-dir P --paper-model Video-R2`, run once."""
    from videor2.cli import main

    tmp = tmp_path_factory.mktemp("compare")
    paper = write_paper_dir(tmp / "paper")
    out = tmp / "cmp"
    rc = main(["report", str(run_a[0]), str(run_b[0]), "--out", str(out), "--paper-dir", str(paper),
               "--paper-model", "Video-R2"])
    assert rc == 0
    return out, paper


def test_compare_runs(run_a, run_b, compared, capsys):
    (da, _, _, sa), (db, _, _, sb) = run_a, run_b
    out, paper = compared
    index = out / "index.html"
    combined = pd.read_csv(out / "combined.csv")
    assert {"label", "model", "run", "source", "benchmark", "metric", "value"} <= set(combined.columns)
    labels = sorted(set(combined.loc[combined["source"] == "run", "label"]))
    assert labels == ["tiny (paper)", "tiny (unified)"]  # same model: told apart by run_info.json's protocol

    def val(run, bench, metric):
        sel = combined[(combined["run"] == run) & (combined["benchmark"] == bench) & (combined["metric"] == metric)]
        assert len(sel) == 1, (run, bench, metric)
        return float(sel["value"].iloc[0])

    for run, summary in ((da.name, sa), (db.name, sb)):
        s = summary.set_index("benchmark")
        for bench, metric in (("mvbench", "accuracy"), ("minerva", "tac"), ("Overall", "vas_judge"),
                              ("Generic", "tac_cond"), ("videommmu", "vas_attention"), ("Reasoning", "accuracy"),
                              ("scivideobench", "tac_corr"), ("Overall", "accuracy")):
            assert val(run, bench, metric) == pytest.approx(s.loc[bench, metric], abs=0.006), (run, bench, metric)
    # paper overlay rows equal the paper CSV values
    acc = pd.read_csv(paper / "accuracy.csv").set_index("model")
    tac = pd.read_csv(paper / "tac.csv").set_index("model")
    p = combined[combined["source"] == "paper"]
    assert set(p["model"]) == {"Video-R2"}
    pv = p.set_index(["benchmark", "metric"])["value"]
    assert pv[("mvbench", "accuracy")] == acc.loc["Video-R2", "MVBench"]
    assert pv[("Reasoning", "accuracy")] == acc.loc["Video-R2", "Avg_Reasoning"]
    assert pv[("scivideobench", "tac_cond")] == tac.loc["Video-R2", "SciVideoBench"]
    assert pv[("Overall", "vas_judge")] == pd.read_csv(paper / "vas.csv").set_index("model").loc["Video-R2", "Avg_Overall"]
    # wide tables in the paper's layout
    wide = pd.read_csv(out / "combined_accuracy.csv", index_col=0)
    assert list(wide.columns[1:]) == list(acc.columns[1:])  # after "source"; same order as the paper's table
    assert wide.loc["Video-R2 (paper)", "MLVU"] == acc.loc["Video-R2", "MLVU"]
    assert wide.loc["tiny (unified)", "VideoMME"] == pytest.approx(sa.set_index("benchmark").loc["videomme", "accuracy"], abs=0.006)
    assert wide.loc["tiny (paper)", "Avg_Overall"] == pytest.approx(sb.set_index("benchmark").loc["Overall", "accuracy"], abs=0.006)
    for m in ("tac", "tac_corr", "tac_cond", "vas_attention", "vas_judge"):
        assert (out / f"combined_{m}.csv").is_file()
    # figures and page
    for name in ("heatmap_accuracy", "heatmap_tac", "heatmap_tac_cond", "heatmap_vas_judge", "heatmap_vas_attention",
                 "vas_box_all", "vas_box_mvbench", "scatter_accuracy_tac"):
        assert (out / "figures" / f"{name}.png").stat().st_size > 5_000, name
        assert (out / "figures" / f"{name}.svg").stat().st_size > 5_000, name
    html = index.read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html
    for attr in re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", html):
        assert attr.startswith(("data:", "#")), attr
    assert "Video-R2 (paper)" in html and 'id="table-accuracy"' in html


def test_paper_tables_and_errors(run_a, tmp_path, capsys):
    from videor2.cli import main
    from videor2.reports.compare import compare_runs
    from videor2.reports.tables import read_paper

    paper = write_paper_dir(tmp_path / "paper")
    rows = read_paper(paper, "all")
    assert set(rows["model"]) == {"Video-R2", "Video-R1"} and set(rows["source"]) == {"paper"}
    assert set(rows["metric"]) == {"accuracy", "tac_cond", "vas_judge"}
    r1 = rows[(rows["model"] == "Video-R1") & (rows["metric"] == "vas_judge")].set_index("benchmark")["value"]
    vas = pd.read_csv(paper / "vas.csv").set_index("model")
    for b in BENCHMARKS:
        assert r1[b] == vas.loc["Video-R1", PAPER_COLUMNS[b]]
    assert "Generic" not in r1.index  # not published for VAS: never invented
    with pytest.raises(ValueError, match="not in the paper"):
        read_paper(paper, "NoSuchModel")
    with pytest.raises(FileNotFoundError, match="run directory"):
        compare_runs([tmp_path / "nope"], tmp_path / "c2")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="summary.csv"):
        compare_runs([tmp_path / "empty"], tmp_path / "c3")
    with pytest.raises(ValueError, match="not in the paper"):
        compare_runs([run_a[0]], tmp_path / "c4", paper_dir=paper, paper_reference="NoSuchModel")
    capsys.readouterr()
    assert main(["report", str(tmp_path / "missing"), "--out", str(tmp_path / "cli2")]) == 2
    assert "run directory not found" in capsys.readouterr().err
    assert not (tmp_path / "cli2").exists()


def test_paper_overlay_real_tables(shared_dir):
    """The real ../shared/paper tables parse (skipped when shared/ is not beside the repo)."""
    from videor2.reports.tables import read_paper

    rows = read_paper(shared_dir / "paper", "Video-R2")
    acc = pd.read_csv(shared_dir / "paper" / "accuracy.csv").set_index("model")
    tac = pd.read_csv(shared_dir / "paper" / "tac.csv").set_index("model")
    p = rows.set_index(["metric", "benchmark"])["value"]
    for b in BENCHMARKS:
        assert p[("accuracy", b)] == acc.loc["Video-R2", PAPER_COLUMNS[b]]
        assert p[("tac_cond", b)] == tac.loc["Video-R2", PAPER_COLUMNS[b]]
    assert p[("accuracy", "Overall")] == acc.loc["Video-R2", "Avg_Overall"]
