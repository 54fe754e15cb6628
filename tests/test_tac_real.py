"""The rule extractor and the hybrid judge on REAL model outputs.

Labels: tests/tac_real/labels.jsonl (ids and labels only); texts: ../shared/tac_dev/pool.jsonl, which
CI has beside the clone. The floors below are the figures measured with scripts/bench_extractor.py
(docs/TAC.md); the test split is held out (never tuned on). The issue's target for the test split
(think >= 90 %) is NOT reached by the rules alone; these tests keep what is reached from regressing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest

from conftest import REPO, SHARED

sys.path.insert(0, str(REPO / "scripts"))
import bench_extractor as bench  # noqa: E402

POOL = SHARED / "tac_dev" / "pool.jsonl"
pytestmark = pytest.mark.skipif(not POOL.exists(), reason=f"{POOL} not found (shared/ beside the repository)")


@pytest.fixture(scope="module")
def items():
    return bench.load(POOL)


@pytest.fixture(scope="module")
def figures(items):
    out = {}
    now = bench.current_functions()
    old = bench.old_functions()
    for split in ("dev", "test"):
        part = [it for it in items if it["split"] == split]
        out[split] = bench.evaluate(part, *now)
        if old is not None:
            out[f"{split}/old"] = bench.evaluate(part, *old)
    return out


def test_labels_hold_ids_and_labels_only(items):
    rows = [json.loads(line) for line in (REPO / "tests" / "tac_real" / "labels.jsonl").read_text().splitlines()]
    drawn = [json.loads(line) for line in (REPO / "tests" / "tac_real" / "sample.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == [d["id"] for d in drawn]  # every drawn item labelled, in draw order
    assert len({r["id"] for r in rows}) == len(rows)
    assert Counter(r["split"] for r in rows)["test"] == 250  # the held-out split never grew
    for r in rows:  # no text of the sources is copied into the project
        assert set(r) <= {"id", "split", "repository", "kind", "think", "answer", "annotators_agree_think",
                          "annotators_agree_answer", "adjudication"}, r
    by_split = {s: {r["repository"] for r in rows if r["split"] == s} for s in ("dev", "test")}
    assert not by_split["dev"] & by_split["test"]  # split by source repository
    agree = sum(r["annotators_agree_think"] for r in rows) / len(rows)
    assert agree >= 0.95


def test_dev_split(figures):
    f = figures["dev"]
    assert f["think_acc"] >= 88.0 and f["answer_acc"] >= 99.0, f
    assert f["unknown_recall"] >= 80.0  # what is truly inconclusive mostly stays UNKNOWN: the rules do not guess
    # a hybrid judge takes only the explicit letters and \boxed{} values from the rules, and those are right
    assert f["hybrid_settled"] >= 25.0 and f["settled_right"] >= 97.5, f


def test_held_out_test_split(figures):
    f = figures["test"]
    assert f["think_acc"] >= 71.6 and f["answer_acc"] >= 96.4, f
    assert f["unknown_recall"] >= 70.0, f


def test_better_than_the_extractor_it_replaces(figures):
    if "dev/old" not in figures:
        pytest.skip("not a git checkout: the old extractor cannot be loaded")
    for split in ("dev", "test"):
        new, old = figures[split], figures[f"{split}/old"]
        assert new["think_acc"] >= old["think_acc"] + 20, (split, new["think_acc"], old["think_acc"])
        assert new["answer_acc"] >= old["answer_acc"], split
        assert new["coverage"] > old["coverage"] + 20, split


def test_hybrid_judge_asks_the_llm_only_what_the_rules_do_not_settle(items, tmp_path):
    sys.path.insert(0, str(REPO / "tests"))
    from judge_server import JudgeServer

    from videor2.diagnostics.judge.base import RULES_THRESHOLD
    from videor2.diagnostics.think import conclude, reasoning_text

    dev = [it for it in items if it["split"] == "dev" and it["kind"] == "mc"][:60]
    inp = tmp_path / "in.jsonl"
    inp.write_text("\n".join(json.dumps({"benchmark": "real_dev", "doc_id": it["id"], "kind": "mc", "question": it["question"] or "",
                                         "options": it["options"], "answer": it["answer"], "response": it["response"]})
                             for it in dev))
    settled = {it["id"] for it in dev
               if (c := conclude(reasoning_text(it["response"]), it["options"], "mc", it["question"] or "")).found
               and c.confidence >= RULES_THRESHOLD}
    with_think = sum(bool(reasoning_text(it["response"])) for it in dev)
    assert 0 < len(settled) < len(dev)
    server = JudgeServer(mode="ok", idle=120, lifetime=600).start()
    try:
        out = tmp_path / "out"
        proc = subprocess.run([sys.executable, "-m", "videor2.cli", "tac", "--input", str(inp), "--judge",
                               f"rules+openai:{server.url}#fake-judge", "--output", str(out), "--no-progress"],
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-3000:]
        stats = server.stats()
    finally:
        server.stop()
    summary = json.loads((out / "summary.json").read_text())
    cache_hits = summary["judge_stats"]["cache_hits"]  # identical prompts (repeated outputs) are asked once
    assert summary["judge_stats"]["rules_settled"] == len(settled)
    # the rest only; grounding is always the LLM's
    assert stats.get("asked_think", 0) + stats.get("asked_grounding", 0) + cache_hits == 2 * with_think - len(settled)
    assert stats.get("asked_think", 0) <= with_think - len(settled) < stats.get("asked_grounding", 0)
    recs = {r["doc_id"]: r for r in map(json.loads, (out / "records.jsonl").read_text().splitlines())}
    for doc_id in settled:
        r = recs[doc_id]
        assert r["judge"]["think"]["source"] == "rules" and r["think_evidence"] and r["think_confidence"] >= RULES_THRESHOLD
    assert summary["judge"]["rules_first"] is True
    row = next(r for r in summary["rows"] if r["benchmark"] == "real_dev")
    assert row["tac_judge"].startswith("rules+openai:") and row["tac_lower_bound"] is False


def test_bench_measures_a_judge_through_the_production_pipeline(items):
    """`bench_extractor.py --judge SPEC`: the hybrid asks the LLM only the think conclusions the rules
    leave open (no grounding), and the settled ones are the rules' own values."""
    sys.path.insert(0, str(REPO / "tests"))
    from judge_server import JudgeServer

    from videor2.diagnostics.judge.base import RULES_THRESHOLD
    from videor2.diagnostics.think import conclude, reasoning_text

    part = [it for it in items if it["split"] == "dev"][:80]
    rules = {it["id"]: conclude(reasoning_text(it["response"]), it["options"], it["kind"], it["question"])
             for it in part}
    settled = {i for i, c in rules.items() if c.found and c.confidence >= RULES_THRESHOLD}
    asked = {it["id"] for it in part if it["id"] not in settled and (reasoning_text(it["response"]) or "").strip()}
    assert settled and asked
    server = JudgeServer(mode="ok", idle=120, lifetime=600).start()
    try:
        (think_fn, _, settle_fn), stats = bench.judge_functions(f"rules+openai:{server.url}#fake-judge", part)
        served = server.stats()
    finally:
        server.stop()
    assert stats["rules_settled"] == len(settled) and stats["judge_errors"] == 0
    assert served.get("asked_grounding", 0) == 0
    assert served.get("asked_think", 0) + stats["cache_hits"] == len(asked)
    for it in part:
        assert settle_fn(it) == (it["id"] in settled)
        if it["id"] in settled:
            assert think_fn(it) == rules[it["id"]].value


def test_bench_refuses_an_unreachable_judge_in_one_line():
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "bench_extractor.py"), "--judge",
                           "rules+openai:http://127.0.0.1:9/v1#judge"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "unreachable" in proc.stderr, proc.stderr
