"""Metrics and suite aggregation: the paper's Avg columns, columns, intervals, the rules CLI path."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest

from videor2.tasks.registry import BENCHMARKS, PAPER_COLUMNS
from videor2.diagnostics.summary import COLUMNS, summarize
from videor2.records import SampleRecord

SHARED = Path(__file__).resolve().parents[2] / "shared" / "paper"


def _paper(name):
    path = SHARED / name
    if not path.exists():
        pytest.skip(f"{path} not found")
    with path.open() as fh:
        return list(csv.DictReader(fh))


def _records_tac_cond(bench, value, n=1000):
    """n answer-correct samples of which round(value*10) have a correct think (tac_cond = value)."""
    k = round(value * n / 100)
    return [SampleRecord(bench, i, pred="A", ground_truth="A", score=1.0, think_pred="A" if i < k else "B",
                         think_correct=i < k, consistent=i < k, tac_source="rules") for i in range(n)]


def _records_vas(bench, value, n=1000):
    """Judge scores whose mean x 10 equals value (scores s and s+1 mixed)."""
    mean = value / 10
    lo = math.floor(mean)
    k = round((mean - lo) * n)
    return [SampleRecord(bench, i, score=0.0, judge={"spec": "openai:x", "status": "ok",
                                                     "grounding": {"status": "ok", "score": float(lo + (i < k))}})
            for i in range(n)]


@pytest.mark.parametrize("table,builder,column", [("tac.csv", _records_tac_cond, "tac_cond"),
                                                  ("vas.csv", _records_vas, "vas_judge")])
def test_paper_suite_average_reproduced(table, builder, column):
    for row in _paper(table):
        records = []
        for b in BENCHMARKS:
            records += builder(b, float(row[PAPER_COLUMNS[b]]))
        df = summarize(records, n_boot=50).set_index("benchmark")
        for b in BENCHMARKS:
            assert abs(df.loc[b, column] - float(row[PAPER_COLUMNS[b]])) < 1e-6
        overall = df.loc["Overall", column]
        assert abs(overall - float(row["Avg_Overall"])) <= 0.1, (row["model"], overall, row["Avg_Overall"])
        print(f"{table} {row['model']}: Overall {overall:.2f} vs paper {row['Avg_Overall']}")


def test_summary_columns_intervals_and_errors():
    recs = []
    for i in range(40):
        ok = i % 4 != 0
        ref_ok = ok and i % 8 != 1  # the reference reads 5 of the robust parser's right answers wrong
        recs.append(SampleRecord("mmvu", i, pred="A", ground_truth="A" if ok else "B", score=float(ok),
                                 ref_score=float(ref_ok), ref_flags=[] if ref_ok == ok else ["non_letter"],
                                 think_pred="A" if i % 5 else "UNKNOWN", think_correct=ok and i % 5 != 0,
                                 consistent=i % 5 != 0, vas_attention={"mean": 15.0 + i % 3},
                                 judge={"spec": "openai:x", "status": "judge_error" if i == 3 else "ok",
                                        "rules_think_pred": "A",
                                        "grounding": {"status": "error" if i == 3 else "ok", "score": 5.0}}))
    recs.append(SampleRecord("mmvu", 99, status="video_error", score=0.0))
    recs.append(SampleRecord("mvbench", 1, pred=3.0, ground_truth=3.1, answer_kind="numeric", score=0.9,
                             ref_score=0.8, think_pred=3.05, think_correct=True, consistent=True))
    recs.append(SampleRecord("mvbench", 2, score=1.0, ref_score=None, ref_flags=["excluded"]))  # out of the reference's denominator
    df = summarize(recs, seed=1, n_boot=200)
    assert list(df.columns) == COLUMNS
    assert list(df["benchmark"]) == ["mvbench", "mmvu", "Generic", "Reasoning", "Overall"]
    m = df.set_index("benchmark").loc["mmvu"]
    assert m["n"] == 41 and m["errors"] == 1 and m["judge_errors"] == 1 and m["tac_unknown"] == 8
    assert m["tac"] == pytest.approx(80.0)
    assert m["accuracy"] == pytest.approx(100 * 25 / 41) and m["accuracy_robust"] == pytest.approx(100 * 30 / 41)
    assert m["parser_sensitivity"] == pytest.approx(100 * 5 / 41) and m["non_letter"] == 5
    assert m["parser_sensitivity_lo"] <= m["parser_sensitivity"] <= m["parser_sensitivity_hi"]
    mv = df.set_index("benchmark").loc["mvbench"]
    assert mv["accuracy"] == pytest.approx(80.0) and mv["accuracy_robust"] == pytest.approx(95.0)
    assert m["vas_judge"] == pytest.approx(50.0) and m["vas_attention"] == pytest.approx(sum(15 + i % 3 for i in range(40)) / 40)
    assert m["tac_lo"] <= m["tac"] <= m["tac_hi"]
    assert m["judge_rules_agreement"] == pytest.approx(80.0)
    assert df.set_index("benchmark").loc["mvbench", "tac_cond"] == 100.0  # 3.0 vs 3.1: within 5 %
    ov = df.set_index("benchmark").loc["Overall"]
    assert ov["accuracy"] == pytest.approx((m["accuracy"] + 80.0) / 2)
    assert summarize(recs, seed=1, n_boot=200).equals(df)  # deterministic


def test_tac_cli_rules_on_jsonl(tmp_path, capsys):
    from videor2.cli import main

    rows = [
        {"benchmark": "mvbench", "doc_id": 0, "question": "Color?", "options": ["red", "blue"], "answer": "A",
         "response": "<think>The car is red, so the answer is A.</think><answer>A</answer>"},
        {"benchmark": "mvbench", "doc_id": 1, "question": "Color?", "options": ["red", "blue"], "answer": "A",
         "response": "<think>So the answer is A.</think><answer>B</answer>"},
        {"benchmark": "vsibench", "doc_id": 2, "question": "How many?", "options": [], "answer": 6,
         "response": "<think>I count six chairs.</think><answer>6</answer>"},
        {"benchmark": "vsibench", "doc_id": 3, "question": "How many?", "options": [], "answer": 6,
         "response": "[videor2:video_error] cannot decode"},
    ]
    inp = tmp_path / "in.jsonl"
    inp.write_text("\n".join(json.dumps(r) for r in rows))
    assert main(["tac", "--input", str(inp), "--judge", "rules", "--output", str(tmp_path / "o"), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "vas_judge is NaN" in out
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    rows_by = {r["benchmark"]: r for r in summary["rows"]}
    assert rows_by["mvbench"]["tac"] == 50.0 and rows_by["vsibench"]["tac"] == 100.0
    assert rows_by["vsibench"]["errors"] == 1 and rows_by["Overall"]["vas_judge"] is None
    assert (tmp_path / "o" / "summary.csv").exists()
    recs = [json.loads(line) for line in (tmp_path / "o" / "records.jsonl").read_text().splitlines()]
    assert len(recs) == 4 and {r["tac_source"] for r in recs if r["status"] == "ok"} == {"rules"}


def test_tac_cli_accepts_any_benchmark_name(tmp_path):
    from videor2.cli import main

    rows = [
        {"benchmark": "mybench", "doc_id": 0, "question": "Which?", "options": ["a cat", "a dog"], "answer": "A",
         "response": "<think>It is a cat, so A.</think><answer>A</answer>"},
        {"benchmark": "mybench", "doc_id": 1, "question": "Which?", "options": ["a cat", "a dog"], "answer": "B",
         "response": "<think>It is a cat, so A.</think><answer>B</answer>"},
        {"benchmark": "videor2_videomme", "doc_id": 0, "question": "Which?", "options": ["x", "y"], "answer": "A",
         "response": "<think>So the answer is A.</think><answer>A</answer>"},
    ]
    inp = tmp_path / "in.jsonl"
    inp.write_text("\n".join(json.dumps(r) for r in rows))
    assert main(["tac", "--input", str(inp), "--judge", "rules", "--output", str(tmp_path / "o"), "--no-progress"]) == 0
    summary = {r["benchmark"]: r for r in json.loads((tmp_path / "o" / "summary.json").read_text())["rows"]}
    assert summary["mybench"]["group"] == "other"
    assert summary["mybench"]["n"] == 2 and summary["mybench"]["accuracy"] == 100.0 and summary["mybench"]["tac"] == 50.0
    # the suite averages use only the 11 benchmarks: here videomme alone
    assert summary["Overall"]["n"] == 1 and summary["Overall"]["tac"] == 100.0
    assert summary["Generic"]["accuracy"] == 100.0 and summary["Reasoning"]["accuracy"] is None
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({**rows[0], "benchmark": "  "}))
    assert main(["tac", "--input", str(bad), "--judge", "rules", "--output", str(tmp_path / "p"), "--no-progress"]) == 2


def test_vas_attention_mean_and_median_of_per_sample_means():
    from videor2.diagnostics.summary import summarize
    from videor2.records import SampleRecord

    recs = [SampleRecord(benchmark="mvbench", doc_id=i, score=1.0, ref_score=1.0, category="a", ground_truth="A",
                         pred="A", vas_attention={"mean": m}) for i, m in enumerate([10.0, 20.0, 90.0])]
    recs.append(SampleRecord(benchmark="mvbench", doc_id=3, score=0.0, category="a", status="video_error"))
    row = summarize(recs, n_boot=200).set_index("benchmark").loc["mvbench"]
    assert row["vas_attention"] == pytest.approx(40.0)
    assert row["vas_attention_median"] == pytest.approx(20.0)
    assert row["vas_attention_median_lo"] <= 20.0 <= row["vas_attention_median_hi"]
    assert row["accuracy"] == pytest.approx(75.0) and row["errors"] == 1
