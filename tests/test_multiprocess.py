"""Data-parallel evaluation: two CPU processes under `accelerate launch`, through the real CLI.

How it is launched, and why not `accelerate launch --num_processes 2 --cpu`:
- `--cpu` makes accelerate use its *simple* launcher, which starts ONE process unless an MPI
  hostfile is given (accelerate/utils/launch.py: prepare_simple_launcher_cmd_env); the run then
  silently happens on a single rank.
- `--multi_gpu --num_processes 2` starts two ranks through torch.distributed.run (torchrun) even
  without GPUs; torch.distributed forms a gloo group, lmms-eval sees it initialised and uses its
  torchrun collectives (all_gather / gather_object), which gloo supports.
- The `accelerate` console script cannot start in this venv (accelerate's CLI imports
  `accelerate.commands.estimate` -> timm -> torchvision, which is not installed), so the test
  uses the `accelerate-launch` entry point, the same `launch` command without that import.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from conftest import find_one

pytestmark = pytest.mark.slow

ACCELERATE_LAUNCH = str(Path(sys.executable).with_name("accelerate-launch"))
TASKS = ("videor2_mvbench", "videor2_tempcompass")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def tiny_dir():
    from videor2.models.tiny import default_tiny_model

    return str(default_tiny_model())


@pytest.fixture(scope="module")
def two_rank_run(tmp_path_factory, fixture_mirror, tiny_dir):
    if not Path(ACCELERATE_LAUNCH).exists():
        pytest.skip(f"{ACCELERATE_LAUNCH} not found")
    work = tmp_path_factory.mktemp("dp2")
    out = work / "out"
    env = dict(os.environ)
    env.update(VIDEOR2_DATA=str(fixture_mirror), HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1",
               CUDA_VISIBLE_DEVICES="", OMP_NUM_THREADS="1")
    cmd = [ACCELERATE_LAUNCH, "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
           "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", str(_free_port()),
           "-m", "lmms_eval", "--tasks", ",".join(TASKS), "--model", "video_r2",
           "--model_args", f"pretrained={tiny_dir},max_new_tokens=8,max_num_frames=8",
           "--output_path", str(out), "--log_samples", "--verbosity", "WARNING"]
    proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=900, check=False)
    return proc, out


def _rank_logs(out: Path) -> dict[int, list[dict]]:
    logs = {}
    for rank in (0, 1):
        f = out / "videor2" / f"generation.rank{rank}.jsonl"
        assert f.is_file(), f"missing {f}: did the run really use two ranks? {sorted((out / 'videor2').glob('*'))}"
        logs[rank] = [json.loads(line) for line in f.read_text().splitlines()]
    return logs


def test_two_ranks_complete_and_results_hold_every_doc(two_rank_run):
    proc, out = two_rank_run
    tail = proc.stderr[-4000:]
    assert proc.returncode == 0, tail
    results = json.loads(find_one(out, "*_results.json").read_text())
    logs = _rank_logs(out)
    assert not (out / "videor2" / "generation.jsonl").exists()  # the shard names, not a shared file
    assert logs[0] and logs[1], "one rank answered nothing"
    for task in TASKS:
        n = results["n-samples"][task]
        assert n["effective"] == n["original"] and n["original"] >= 2, (task, n)
        # rank 0 gathered every rank's samples: each doc exactly once in lmms-eval's sample log
        rows = [json.loads(line) for line in find_one(out, f"*_samples_{task}.jsonl").read_text().splitlines()]
        assert sorted(r["doc_id"] for r in rows) == list(range(n["original"])), task
        # the generation shards cover every doc, and each doc was given to exactly one rank
        per_rank = {rank: {e["doc_id"] for e in entries if e["task"] == task} for rank, entries in logs.items()}
        assert per_rank[0] | per_rank[1] == set(range(n["original"])), (task, per_rank)
        assert not per_rank[0] & per_rank[1], (task, per_rank)
        assert per_rank[0] and per_rank[1], (task, per_rank)  # lmms-eval shards each task over both ranks


def test_each_doc_answered_exactly_once_across_ranks(two_rank_run):
    proc, out = two_rank_run
    assert proc.returncode == 0, proc.stderr[-4000:]
    logs = _rank_logs(out)
    counts = Counter((e["task"], e["doc_id"]) for entries in logs.values() for e in entries)
    assert all(c == 1 for c in counts.values()), counts
