"""`videor2 vas`: one sample's attention record from the command line, both ways in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest


@pytest.fixture(scope="module")
def tiny_dir():
    from videor2.models.tiny import default_tiny_model

    return str(default_tiny_model())


def vas(*args):
    proc = subprocess.run([sys.executable, "-m", "videor2.cli", "vas", *args], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_generate_then_rescore_the_same_text(tiny_dir):
    video = str(Path(os.environ["VIDEOR2_TEST_POOL"]) / "v3s_24fps_4x3.mp4")
    common = ["--model-path", tiny_dir, "--video", video, "--question", "Which way does the square move?",
              "--max-new-tokens", "10", "--dtype", "float32"]
    gen = json.loads(vas(*common, "--json"))
    n = len(gen["meta"]["response_ids"])
    assert n > 0 and len(gen["series"]["video"]) == n
    shares = np.array([gen["series"][k] for k in ("video", "text", "generated")])
    np.testing.assert_allclose(shares.sum(0), 100, atol=1e-3)
    assert gen["meta"]["layers"] == [1] and gen["meta"]["heads"] == "mean" and gen["meta"]["way"] == "generation"
    assert gen["meta"]["n_video_tokens"] == sum(e - s for s, e in gen["meta"]["video_positions"])
    assert gen["stats"]["mean"] == pytest.approx(float(np.mean(gen["series"]["video"])), abs=1e-4)
    # the human-readable summary
    text = vas(*common)
    assert "VAS all tokens" in text and "video tokens:" in text
    # teacher forcing of a given response text
    forced = json.loads(vas(*common, "--response", "<think>It moves right.</think><answer>B</answer>", "--json",
                            "--layers", "0", "--heads", "max"))
    assert forced["meta"]["way"] == "teacher_forcing" and forced["meta"]["layers"] == [0]
    assert forced["think_span"] is not None and forced["answer_span"] is not None
    assert forced["think_span"][1] <= forced["answer_span"][0] + 1
