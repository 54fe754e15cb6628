"""The suite through the real `lmms-eval` executable, from a directory outside the repo."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from conftest import LMMS_EVAL, REPO, find_one, run_lmms_eval
from videor2 import BENCHMARKS, BENCHMARKS_GENERIC, BENCHMARKS_REASONING, task_name
from videor2.tasks.common.task import load_benchmark

pytestmark = pytest.mark.slow


def _broken(root) -> dict[str, set[str]]:
    """benchmark -> doc indices whose video is missing, empty or corrupt (from the mirror itself)."""
    from videor2.errors import VideoError
    from videor2.models.sampler import check_video

    out = {}
    for bench in BENCHMARKS:
        bad = set()
        for i, row in enumerate(load_benchmark(bench, root)):
            try:
                check_video(row["video_path"])
            except VideoError:
                bad.add(str(i))
        out[bench] = bad
    return out


def _run_suite(tmp_path, mirror, policy: str):
    out = tmp_path / f"out_{policy}"
    proc = run_lmms_eval(
        ["--tasks", "videor2_suite", "--model", "replay", "--model_args", f"policy={policy}",
         "--output_path", str(out), "--log_samples", "--verbosity", "WARNING"],
        cwd=tmp_path, env_extra={"VIDEOR2_DATA": str(mirror)},
    )
    results = sorted(out.rglob("*_results.json"))
    assert results, f"lmms-eval wrote no results\nstdout:{proc.stdout[-3000:]}\nstderr:{proc.stderr[-5000:]}"
    return json.loads(results[-1].read_text()), out, proc


@pytest.fixture(scope="module")
def gt_run(tmp_path_factory, fixture_mirror):
    return _run_suite(tmp_path_factory.mktemp("gt"), fixture_mirror, "gt")


def test_gt_policy_scores_100_except_broken_videos(gt_run, fixture_mirror):
    results, out, proc = gt_run
    broken = _broken(fixture_mirror)
    assert sum(len(b) for b in broken.values()) >= 3, "the mirror must contain broken videos"
    per_bench = {}
    for bench in BENCHMARKS:
        res = results["results"][task_name(bench)]
        n = results["n-samples"][task_name(bench)]["effective"]
        score, errors = res["videor2_acc,none"], res["errors,none"]
        assert errors == len(broken[bench]), bench
        if not broken[bench]:
            assert score == pytest.approx(100.0), bench
        else:
            assert 0 < score < 100, bench
        per_bench[bench] = score
        # every sample line carries the parsed prediction, ground truth and status
        rows = [json.loads(line) for line in find_one(out, f"*_samples_{task_name(bench)}.jsonl").read_text().splitlines()]
        assert len(rows) == n
        for row in rows:
            item = row["videor2_acc"]
            expected = "video_error" if str(row["doc_id"]) in broken[bench] else "ok"
            assert item["status"] == expected, (bench, row["doc_id"], item)
            raw = row.get("resps", row["filtered_resps"])
            assert ("<think>" in raw) == (expected == "ok")  # raw output kept, <think> not stripped
    # group scores are unweighted means over benchmarks
    groups = results["results"]
    mean = lambda xs: sum(xs) / len(xs)
    assert groups["videor2_generic"]["videor2_acc,none"] == pytest.approx(mean([per_bench[b] for b in BENCHMARKS_GENERIC]))
    assert groups["videor2_reasoning"]["videor2_acc,none"] == pytest.approx(mean([per_bench[b] for b in BENCHMARKS_REASONING]))
    assert groups["videor2_suite"]["videor2_acc,none"] == pytest.approx(mean(list(per_bench.values())))


def test_wrong_policy_scores_zero(tmp_path, fixture_mirror):
    results, _, _ = _run_suite(tmp_path, fixture_mirror, "wrong")
    for bench in BENCHMARKS:
        assert results["results"][task_name(bench)]["videor2_acc,none"] == pytest.approx(0.0), bench
    assert results["results"]["videor2_suite"]["videor2_acc,none"] == pytest.approx(0.0)


def test_tasks_path_command_points_at_the_task_yamls():
    out = subprocess.run([sys.executable, "-m", "videor2.cli", "tasks-path"], capture_output=True, text=True, check=True)
    path = out.stdout.strip()
    assert path == str(REPO / "tasks")
    assert (REPO / "tasks" / "suite" / "videor2_suite.yaml").exists()
