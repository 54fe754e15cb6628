"""The suite through the real `lmms-eval` executable, from a directory outside the repo."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, find_one, run_lmms_eval
from videor2.tasks.registry import BENCHMARKS, BENCHMARKS_GENERIC, BENCHMARKS_REASONING, task_name
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
        robust = res["robust_acc,none"]
        assert res["reference_acc,none"] == pytest.approx(score), bench  # the default scoring
        if bench == "mlvu":  # the reference divides by MLVU's 7 task types, the fixture has 2 (mlvu_think L165)
            assert score == pytest.approx(100.0 * 2 / 7) and robust == pytest.approx(100.0)
        elif not broken[bench]:
            assert score == pytest.approx(100.0) and robust == pytest.approx(100.0), bench
        else:
            assert 0 < score < 100 and score == pytest.approx(robust), bench  # bare letters: both agree
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


def test_tasks_path_command_points_at_the_rendered_task_yamls():
    out = subprocess.run([sys.executable, "-m", "videor2.cli", "tasks-path"], capture_output=True, text=True, check=True)
    path = Path(out.stdout.strip())
    names = {p.name for p in path.glob("*.yaml")}
    assert names == {f"{task_name(b)}.yaml" for b in BENCHMARKS} | {
        "videor2_suite.yaml", "videor2_generic.yaml", "videor2_reasoning.yaml"}
    suite = (path / "videor2_suite.yaml").read_text()
    assert "videor2_generic" in suite and "videor2_reasoning" in suite and "weight_by_size: false" in suite


def test_a_new_benchmark_is_one_folder(tmp_path, fixture_mirror):
    """Copy one benchmark folder under a new name, edit nothing else: the plain lmms-eval CLI runs it
    (replay, its fixture) and the suite group takes it in."""

    name = f"zz_copy_{os.getpid()}"
    folder = REPO / "tasks" / name
    shutil.copytree(REPO / "tasks" / "videomathqa", folder, ignore=shutil.ignore_patterns("__pycache__"))
    try:
        # the copy's own fixture writer, found by discovery in a fresh process
        mirror = tmp_path / "mirror"
        shutil.copytree(fixture_mirror, mirror, symlinks=True, ignore=shutil.ignore_patterns("_pool"))
        write = subprocess.run([sys.executable, "-c", (
            "import sys; from pathlib import Path; from videor2.tasks.registry import benchmark, BENCHMARKS;"
            f"from videor2.fixtures import build_pool; assert {name!r} in BENCHMARKS, BENCHMARKS;"
            f"benchmark({name!r}).write_fixture(Path(sys.argv[1]), build_pool(Path(sys.argv[2])))"),
            str(mirror / name), str(fixture_mirror / "_pool")], capture_output=True, text=True)
        assert write.returncode == 0, write.stderr[-3000:]
        out = tmp_path / "out"
        proc = run_lmms_eval(["--tasks", "videor2_reasoning", "--model", "replay", "--model_args",
                              "policy=gt", "--output_path", str(out), "--log_samples"],
                             cwd=tmp_path, env_extra={"VIDEOR2_DATA": str(mirror)})
        results = json.loads(find_one(out, "*_results.json").read_text())["results"]
        assert results[f"videor2_{name}"]["videor2_acc,none"] == pytest.approx(100.0), proc.stderr[-3000:]
        # it is a reasoning benchmark (declared so): the group now averages 7 benchmarks
        members = [k for k in results if k.startswith("videor2_") and k != "videor2_reasoning"]
        assert len(members) == len(BENCHMARKS_REASONING) + 1
        assert results["videor2_reasoning"]["videor2_acc,none"] == pytest.approx(
            sum(results[m]["videor2_acc,none"] for m in members) / len(members))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
