"""The environment is exactly the lock: every installed package pinned, nothing else, pip check clean
(apart from the three documented lines in scripts/check_env.py)."""

from __future__ import annotations

import re

from videor2.scripts.check_env import (ALLOWED_PIP_CHECK, LOCK, installed, lock_differences, pip_check_problems,
                                       read_lock)


def test_lock_pins_the_whole_environment():
    pins = read_lock()
    assert len(pins) >= 100  # the whole tree, not only the top-level packages
    assert pins["torch"] == "2.13.0+cpu" and pins["transformers"] == "4.51.3" and pins["lmms-eval"] == "0.7.3"
    assert int(pins["filelock"].split(".")[0]) < 4  # filelock 4 removed filelock._api (lmms-eval imports it)
    assert "torchvision" not in pins  # the registry build is CUDA-only (README, Installation)
    for name in ("pip", "setuptools", "pytest", "hypothesis", "decord", "av"):
        assert name in pins, name
    assert all(re.fullmatch(r"[\w.+!-]+", v) for v in pins.values())


def test_venv_matches_the_lock():
    assert lock_differences(read_lock(), installed()) == []


def test_pip_check_is_clean_apart_from_the_documented_lines():
    assert pip_check_problems() == []


def test_the_checker_reports_drift():
    pins = {"a": "1.0", "b": "2.0"}
    have = {"a": "1.1", "c": "3.0", "videor2-harness": "0.1.0"}
    assert lock_differences(pins, have) == ["version: a is 1.1, lock says 1.0", "missing: b==2.0",
                                            "not in the lock: c==3.0"]
    assert ALLOWED_PIP_CHECK[0].match("timm 1.0.31 requires torchvision, which is not installed.")
    assert not any(p.match("transformers 4.51.3 requires tokenizers, which is not installed.") for p in ALLOWED_PIP_CHECK)
    assert LOCK.name == "cpu.lock"
