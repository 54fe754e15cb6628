"""`scripts/diagnose.py`: the whole pipeline, its resume, its errors, and run comparison."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import REPO, kill_once_written, run_lmms_eval
from videor2.tasks.registry import BENCHMARKS

pytestmark = pytest.mark.slow
DIAGNOSE = [sys.executable, str(REPO / "scripts" / "diagnose.py")]
SUMMARY_ROWS = list(BENCHMARKS) + ["Generic", "Reasoning", "Overall"]


def diagnose(*args, cwd, timeout=900, check=True):
    proc = subprocess.run([*DIAGNOSE, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    if check:
        assert proc.returncode == 0, proc.stderr[-4000:]
    return proc


def summary(run: Path) -> pd.DataFrame:
    return pd.read_csv(run / "summary.csv").set_index("benchmark")


@pytest.fixture(scope="module")
def judge_server():
    sys.path.insert(0, str(REPO / "tests"))
    from judge_server import JudgeServer

    server = JudgeServer(mode="ok", latency=0.25, idle=600, lifetime=1800).start()
    yield server
    server.stop()


def test_replay_run_reports_every_benchmark(tmp_path):
    run = tmp_path / "replay"
    proc = diagnose("--model", "replay", "--model-args", "policy=gt", "--data", "fixtures", "--out", str(run),
                    cwd=tmp_path)
    s = summary(run)
    assert list(s.index) == SUMMARY_ROWS
    # MVBench scores the mean over its subtasks; the subtask whose video is corrupt scores 0
    assert s.loc["mvbench", "accuracy"] == pytest.approx(200 / 3, abs=0.01) and s.loc["mvbench", "errors"] == 1
    assert s.loc["mmvu", "accuracy"] == 100.0 and s.loc["mmvu", "tac"] == 100.0
    assert s.loc["Overall", "n"] == sum(s.loc[b, "n"] for b in BENCHMARKS)
    for name in ("index.html", "samples.csv", "samples.jsonl", "run_info.json"):
        assert (run / name).exists(), name
    assert "Overall" in proc.stdout and "report:" in proc.stdout  # the terminal summary


def test_kill_during_judging_then_resume_gives_the_same_summary(tmp_path, judge_server):
    spec = f"openai:{judge_server.url}#fake-judge"
    common = ["--model", "replay", "--model-args", "policy=gt,think=inconsistent", "--data", "fixtures",
              "--tasks", "videor2_mvbench,videor2_minerva,videor2_vsibench", "--judge", spec]
    ref = tmp_path / "ref"
    diagnose(*common, "--out", str(ref), cwd=tmp_path)

    run = tmp_path / "killed"
    records = run / "records.jsonl"
    kill_once_written([*DIAGNOSE, *common, "--out", str(run)], tmp_path, records, timeout=300)
    generated = (run / "generation.jsonl").read_text().count("\n")
    judged = records.read_text().count("\n")
    assert generated == 10 and 1 <= judged < 10  # killed after generation, during judging
    again = diagnose(*common, "--out", str(run), check=False, cwd=tmp_path)
    assert again.returncode == 2 and "--resume" in again.stderr  # never silently overwrite a run
    diagnose(*common, "--out", str(run), "--resume", cwd=tmp_path)
    pd.testing.assert_frame_equal(summary(run), summary(ref))
    assert (run / "records.jsonl").read_text().count("\n") == 10  # nothing judged twice


def test_clear_errors_before_work_starts(tmp_path):
    bad = diagnose("--model", "no_such_model", "--out", str(tmp_path / "x"), cwd=tmp_path, check=False)
    assert bad.returncode == 2 and "unknown model" in bad.stderr
    bad = diagnose("--model", "replay", "--data", "fixtures", "--judge", "openai:http://127.0.0.1:9#m",
                   "--out", str(tmp_path / "y"), cwd=tmp_path, check=False)
    assert bad.returncode == 2 and not (tmp_path / "y" / "generation.jsonl").exists()
    bad = diagnose("--model", "replay", "--data", str(tmp_path / "missing"), "--out", str(tmp_path / "z"),
                   cwd=tmp_path, check=False)
    assert bad.returncode == 2 and "not found" in bad.stderr


def _one_line_error(proc) -> str:
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    lines = [l for l in proc.stderr.splitlines() if l.startswith("diagnose: ")]
    assert len(lines) == 1, proc.stderr[-2000:]
    return lines[0]


def test_unreachable_checkpoint_is_one_line_error(tmp_path):
    line = _one_line_error(diagnose("--model", "video_r2", "--pretrained", "/nonexistent", "--out",
                                    str(tmp_path / "a"), cwd=tmp_path, check=False))
    assert "checkpoint folder not found: /nonexistent" in line
    empty = tmp_path / "empty_ckpt"
    empty.mkdir()
    line = _one_line_error(diagnose("--model", "video_r2", "--pretrained", str(empty), "--out", str(tmp_path / "b"),
                                    cwd=tmp_path, check=False))
    assert "has no config.json" in line
    # a hub id that is not in the cache, with the hub unreachable (HF_HUB_OFFLINE=1 here)
    line = _one_line_error(diagnose("--model", "video_r2", "--pretrained", "no-such-org/no-such-model", "--out",
                                    str(tmp_path / "c"), cwd=tmp_path, check=False))
    assert "neither a local folder nor reachable or cached on the hub" in line
    assert "huggingface-cli download no-such-org/no-such-model" in line
    assert not (tmp_path / "c").exists()  # nothing was started


def test_unreachable_hub_data_is_one_line_error(tmp_path):
    from videor2.models.tiny import default_tiny_model

    env_data = os.environ.pop("VIDEOR2_DATA", None)
    try:
        proc = subprocess.run([*DIAGNOSE, "--model", "video_r2", "--pretrained", str(default_tiny_model()),
                               "--tasks", "videor2_videomme", "--limit", "1", "--out", str(tmp_path / "d")],
                              cwd=tmp_path, capture_output=True, text=True, timeout=600,
                              env={**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
                                   "HF_HOME": str(tmp_path / "hf_home")})
    finally:
        if env_data is not None:
            os.environ["VIDEOR2_DATA"] = env_data
    line = _one_line_error(proc)
    assert "no data for videomme" in line and "lmms-lab/Video-MME" in line and "--data" in line
    assert not list((tmp_path / "d").glob("generation*.jsonl"))  # no model was loaded, nothing generated


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory):
    """The demo model under two protocols, on three benchmarks (kept small for CI)."""
    root = tmp_path_factory.mktemp("tiny")
    runs = {}
    for protocol in ("unified", "paper"):
        runs[protocol] = root / protocol
        diagnose("--protocol", protocol, "--tasks", "videor2_tempcompass,videor2_videomathqa,videor2_vsibench",
                 "--limit", "1", "--max-new-tokens", "12", "--out", str(runs[protocol]), cwd=root)
    return runs


def test_tiny_model_run_records_attention(tiny_runs):
    run = tiny_runs["unified"]
    s = summary(run)
    assert s.loc["tempcompass", "n"] == 1
    assert 0 < s.loc["tempcompass", "vas_attention"] < 100  # measured, not a placeholder
    recs = [json.loads(line) for line in (run / "records.jsonl").read_text().splitlines()]
    for r in recs:
        assert r["vas_attention"] is not None and (run / r["vas_attention"]["sidecar"]).exists()
    info = json.loads((run / "run_info.json").read_text())
    assert info["protocol"] == "unified" and info["model"] == "tiny"


def test_compare_two_protocols(tiny_runs, tmp_path):
    out = tmp_path / "cmp"
    diagnose("--compare", str(tiny_runs["unified"]), str(tiny_runs["paper"]), "--out", str(out), cwd=tmp_path)
    combined = pd.read_csv(out / "combined.csv")
    assert (out / "index.html").exists() and list((out / "figures").glob("heatmap_*.png"))
    for protocol, run in tiny_runs.items():
        s = summary(run)
        mine = combined[(combined["protocol"] == protocol) & (combined["metric"] == "vas_attention")]
        got = mine.set_index("benchmark")["value"]
        assert got["tempcompass"] == pytest.approx(s.loc["tempcompass", "vas_attention"], abs=0.01)
        acc = combined[(combined["protocol"] == protocol) & (combined["metric"] == "accuracy")].set_index("benchmark")["value"]
        assert acc["Overall"] == pytest.approx(s.loc["Overall", "accuracy"], abs=0.01)


def test_from_logs_scores_attention_by_teacher_forcing(tmp_path, fixture_mirror):
    from videor2.models.tiny import default_tiny_model

    logs = tmp_path / "logs"
    run_lmms_eval(["--tasks", "videor2_tempcompass", "--model", "replay", "--model_args", "policy=gt",
                   "--limit", "2", "--output_path", str(logs), "--log_samples"], cwd=tmp_path,
                  env_extra={"VIDEOR2_DATA": str(fixture_mirror)})
    run = tmp_path / "from_logs"
    diagnose("--from-logs", str(logs), "--model", "video_r2", "--pretrained", str(default_tiny_model()),
             "--data", str(fixture_mirror), "--tasks", "videor2_tempcompass", "--out", str(run), cwd=tmp_path)
    s = summary(run)
    assert s.loc["tempcompass", "accuracy"] == 100.0
    assert 0 < s.loc["tempcompass", "vas_attention"] < 100
    recs = [json.loads(line) for line in (run / "records.jsonl").read_text().splitlines()]
    assert all(r["vas_attention"]["n_tokens"] > 5 for r in recs)


def test_sharded_generation_merges_into_one_report(tmp_path):
    common = ["--model", "replay", "--model-args", "policy=gt,think=inconsistent", "--data", "fixtures",
              "--tasks", "videor2_mvbench,videor2_vsibench,videor2_videommmu"]
    whole = tmp_path / "whole"
    diagnose(*common, "--out", str(whole), cwd=tmp_path)
    run = tmp_path / "sharded"
    for i in range(2):
        proc = diagnose(*common, "--shard", f"{i}/2", "--out", str(run), "--resume", cwd=tmp_path)
        assert "run again without --shard" in proc.stdout
        assert not (run / "summary.csv").exists()
    parts = sorted(run.glob("generation.shard-*.jsonl"))
    assert len(parts) == 2 and all(p.read_text().count("\n") > 0 for p in parts)
    diagnose(*common, "--out", str(run), "--resume", cwd=tmp_path)  # merges, judges, reports
    pd.testing.assert_frame_equal(summary(run), summary(whole))
