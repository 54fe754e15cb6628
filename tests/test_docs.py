"""docs/BENCHMARKS.md agrees with the benchmark declarations it describes; docs/REPORT.md documents
every summary.csv column."""

from __future__ import annotations

from pathlib import Path

from videor2.tasks.registry import BENCHMARKS, benchmark

DOC = Path(__file__).resolve().parents[1] / "docs" / "BENCHMARKS.md"


def doc_rows() -> list[list[str]]:
    rows = [[c.strip() for c in line.strip().strip("|").split("|")]
            for line in DOC.read_text(encoding="utf-8").splitlines() if line.startswith("| ")]
    return [r for r in rows if r[1].startswith("videor2_")]


def test_the_benchmark_table_matches_the_declarations():
    rows = doc_rows()
    paper = [b for b in BENCHMARKS if benchmark(b).paper_column]  # the paper's benchmarks, in its order
    assert [r[1] for r in rows] == [benchmark(b).task for b in paper]
    for column, task, group, hub_id, split, max_new, _score in rows:
        spec = benchmark(task)
        assert (column, group, hub_id, split, int(max_new)) == (
            spec.paper_column, spec.group, spec.hub_id, spec.split, spec.max_new_tokens), task


def test_every_summary_column_is_documented():
    from videor2.diagnostics import metrics as M

    text = (DOC.parent / "REPORT.md").read_text(encoding="utf-8")
    missing = [m.name for m in M.metrics() if f"`{m.name}`" not in text]
    assert not missing, f"summary.csv columns without a line in docs/REPORT.md: {missing}"
