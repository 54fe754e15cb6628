"""A metric is one registry entry: declared once, it reaches summary.csv, the HTML report (table and
column docs), the comparison tables and the console table."""

from __future__ import annotations

import math

import pandas as pd

from test_reports import make_records
from videor2.diagnostics import metrics as M


def _long_think(rec) -> float:
    if rec.status != "ok":
        return math.nan
    return 100.0 * (len((rec.think or "").split()) > 20)


def test_a_registered_metric_reaches_every_output(tmp_path):
    from videor2.reports.compare import compare_runs

    M.register(M.Metric("long_think", "Long reasoning", "Percent of answered samples whose reasoning has over 20 words.",
                        value=_long_think, short="long", console=True, compare=True), after="tac")
    try:
        from videor2.diagnostics.summary import summarize
        from videor2.reports.html import write_report

        runs = []
        for model, seed in (("tiny", 0), ("other", 1)):
            run = tmp_path / model
            run.mkdir()
            records = make_records(run, model=model, seed=seed)
            summary = summarize(records, n_boot=200)
            index = write_report(run, records, summary, title=model, model_name=model)
            runs.append(run)
            csv = pd.read_csv(tmp_path / model / "summary.csv")
            cols = list(csv.columns)
            assert cols[cols.index("tac_hi") + 1: cols.index("tac_hi") + 4] == ["long_think", "long_think_lo", "long_think_hi"]
            row = csv.set_index("benchmark").loc["mvbench"]
            expected = [_long_think(r) for r in records if r.benchmark == "mvbench"]
            expected = sum(v for v in expected if v == v) / sum(v == v for v in expected)
            assert abs(row["long_think"] - round(expected, 2)) < 1e-9
            html = index.read_text()
            assert "Long reasoning" in html and "over 20 words" in html
            assert "long" in M.console_table(summary).splitlines()[0].split()
        out = tmp_path / "compare"
        compare_runs(runs, out)
        combined = pd.read_csv(out / "combined.csv")
        assert set(combined[combined["metric"] == "long_think"]["label"]) == {"tiny", "other"}
        assert (out / "combined_long_think.csv").is_file()
        assert "Long reasoning" in (out / "index.html").read_text()
    finally:
        M.unregister("long_think")
    assert "long_think" not in M.summary_columns()
