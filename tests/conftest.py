"""Session-wide artefacts built once and cached across runs: the fixture mirror, the tiny model."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
LMMS_EVAL = str(Path(sys.executable).with_name("lmms-eval"))


def pytest_configure(config):
    # a benchmark folder copied by test_a_new_benchmark_is_one_folder and left by a killed run
    for stale in (REPO / "tasks").glob("zz_copy_*"):
        shutil.rmtree(stale, ignore_errors=True)
    # One pool of encoded videos for every test module (the 10-minute one takes a while).
    from videor2.fixtures import build_pool
    from videor2.paths import default_fixtures_dir

    pool = default_fixtures_dir() / "_pool"
    build_pool(pool)
    os.environ.setdefault("VIDEOR2_TEST_POOL", str(pool))
    # the decoded frames the tests cache (over a GB) go to a folder of this session, not the user's cache
    frames = Path(tempfile.mkdtemp(prefix="videor2-test-frames-"))
    os.environ.setdefault("VIDEOR2_FRAME_CACHE", str(frames))
    config._videor2_frames = frames


def pytest_unconfigure(config):
    frames = getattr(config, "_videor2_frames", None)
    if frames is not None:
        shutil.rmtree(frames, ignore_errors=True)


@pytest.fixture(scope="session")
def fixture_mirror() -> Path:
    """The offline mirror of all 11 benchmarks (built once, then reused)."""
    from videor2.fixtures import write_fixtures
    from videor2.paths import default_fixtures_dir

    return write_fixtures(default_fixtures_dir())


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not (SHARED / "paper").is_dir():
        pytest.skip(f"shared/ with the paper tables not found beside the repo ({SHARED})")
    return SHARED


def run_lmms_eval(args: list[str], cwd: Path, env_extra: dict | None = None, timeout: int = 900) -> subprocess.CompletedProcess:
    """Run the real `lmms-eval` executable (it exits 0 even on failure: callers check files)."""
    env = dict(os.environ)
    env.update(env_extra or {})
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("HF_DATASETS_OFFLINE", "1")
    proc = subprocess.run([LMMS_EVAL, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    return proc


def find_one(root: Path, pattern: str) -> Path:
    hits = sorted(root.rglob(pattern))
    assert hits, f"no {pattern} under {root}"
    return hits[-1]


def kill_once_written(args: list[str], cwd: Path, watched: Path, timeout: float = 600) -> None:
    """Start `args`, SIGKILL it as soon as `watched` holds a complete line (a run killed mid-stage)."""
    import signal
    import time

    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "HF_HUB_OFFLINE": "1"})
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        if watched.exists() and watched.read_text().count("\n") >= 1:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
