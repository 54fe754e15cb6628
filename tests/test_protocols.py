"""Frame plans of every model under `paper`, `unified` and `native`, against the official formulas.

The expected values come from a transcription, written here independently of models/sampler.py, of
the code behind each protocol (docs/PROTOCOLS.md cites file and line):
- qwen-vl-utils' vision_process.py (and the copies Video-R1, VideoRFT and VideoChat-R1.5 ship, which
  differ only in constants): smart_nframes, the fetch_video pixel ceiling, smart_resize, and frame
  indices torch.linspace(0, total - 1, n).round();
- the Video-R2 fork's qwen2_5_vl.py: stage 2 picks np.linspace(0, n1 - 1, 128, dtype=int) of the
  stage-1 frames and keeps stage 1's fps; its run script passes max_pixels=151200,
  min_pixels=100352 and exports FPS_MAX_FRAMES=128.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from videor2.models.profiles import get_profile
from videor2.models.sampler import plan_sampling

MP = 28 * 28
DEFAULT_TOTAL = int(128000 * 28 * 28 * 0.9)  # VIDEO_TOTAL_PIXELS

# model, protocol, benchmark -> (fps, FPS_MIN_FRAMES, FPS_MAX_FRAMES, min_pixels, VIDEO_MAX_PIXELS constant,
#                                max_pixels passed, total_pixels, stage-2 frame count or None)
FORK = (2.0, 4, 128, 100352, 768 * MP, 151200, DEFAULT_TOTAL, 128)
OFFICIAL = {
    ("video_r2", "paper", None): FORK,
    ("qwen2_5_vl_cot", "paper", None): FORK,
    ("video_r1", "paper", None): FORK,
    ("videorft", "paper", None): FORK,
    ("videochat_r1_5", "paper", None): FORK,
    ("video_r2", "unified", None): FORK[:7] + (None,),
    ("videorft", "unified", None): FORK[:7] + (None,),
    # Video-R1 vision_process.py: FPS_MAX_FRAMES 16, VIDEO_MIN = VIDEO_MAX = 128*28*28, nothing passed
    ("video_r1", "native", None): (2.0, 4, 16, 128 * MP, 128 * MP, None, DEFAULT_TOTAL, None),
    # VideoRFT vision_process.py, "set ... for Evaluation": 32 frames, VIDEO_MIN = VIDEO_MAX = 256*28*28
    ("videorft", "native", None): (2.0, 4, 32, 256 * MP, 256 * MP, None, DEFAULT_TOTAL, None),
    # VideoChat-R1.5 my_vision_process.py (4..512 frames) with each eval script's total_pixels / min_pixels
    ("videochat_r1_5", "native", "videomme"): (2.0, 4, 512, 128 * MP, 768 * MP, None, 128 * 108 * MP, None),
    ("videochat_r1_5", "native", "vsibench"): (2.0, 4, 512, 128 * MP, 768 * MP, None, 128 * 16 * MP, None),
    ("videochat_r1_5", "native", "videommmu"): (2.0, 4, 512, 128 * MP, 768 * MP, None, 128 * 12 * MP, None),
    ("videochat_r1_5", "native", "mvbench"): (2.0, 4, 512, 1280 * MP, 768 * MP, None, 5120 * MP, None),
    # the paper's model and the base model have no other settings of their own: native = unified
    ("video_r2", "native", None): FORK[:7] + (None,),
    ("qwen2_5_vl_cot", "native", None): FORK[:7] + (None,),
}


def _round_by(x, f):
    return round(x / f) * f


def _ceil_by(x, f):
    return math.ceil(x / f) * f


def _floor_by(x, f):
    return math.floor(x / f) * f


def official_plan(cfg, total, video_fps, h, w):
    fps, min_f, max_f, min_px, video_max_px, passed_max, total_px, stage2 = cfg
    # smart_nframes
    lo, hi = _ceil_by(min_f, 2), _floor_by(min(max_f, total), 2)
    n = _floor_by(min(min(max(total / video_fps * fps, lo), hi), total), 2)
    idx = torch.linspace(0, total - 1, n).round().long().tolist()
    sample_fps = n / max(total, 1e-6) * video_fps
    # fetch_video's ceiling, then smart_resize(factor 28)
    max_px = max(min(video_max_px, total_px / n * 2), int(min_px * 1.05))
    if passed_max is not None:
        max_px = min(passed_max, max_px)
    hb, wb = max(28, _round_by(h, 28)), max(28, _round_by(w, 28))
    if hb * wb > max_px:
        beta = math.sqrt(h * w / max_px)
        hb, wb = _floor_by(h / beta, 28), _floor_by(w / beta, 28)
    elif hb * wb < min_px:
        beta = math.sqrt(min_px / (h * w))
        hb, wb = _ceil_by(h * beta, 28), _ceil_by(w * beta, 28)
    if stage2:
        idx = [idx[i] for i in np.linspace(0, len(idx) - 1, stage2, dtype=int)]
    return idx, sample_fps, (hb, wb)


SECONDS = [1, 10, 64, 65, 600, 3600]
VIDEO_FPS = [24.0, 25.0, 30000 / 1001, 30.0, 50.0, 60.0]
SIZES = {"16:9": (360, 640), "4:3": (480, 640), "portrait": (640, 360), "small": (120, 160)}


@pytest.mark.parametrize("model, protocol, benchmark", list(OFFICIAL))
def test_frame_plans_match_the_official_code(model, protocol, benchmark):
    frames = get_profile(model).frames(protocol, benchmark)
    cfg = OFFICIAL[(model, protocol, benchmark)]
    for seconds in SECONDS:
        for video_fps in VIDEO_FPS:
            total = int(round(seconds * video_fps))
            for name, (h, w) in SIZES.items():
                plan = plan_sampling(total, video_fps, h, w, protocol=protocol, **frames)
                idx, sample_fps, size = official_plan(cfg, total, video_fps, h, w)
                where = (model, protocol, benchmark, seconds, round(video_fps, 3), name)
                assert plan.indices == idx, where
                assert plan.sample_fps == pytest.approx(sample_fps, rel=1e-12), where
                assert plan.size == size, where


def test_worked_values():
    fork = get_profile("video_r2").frames("paper")
    # a 10-minute and a 1-hour video: 128 frames, and the fps the model is told is stage 1's
    assert plan_sampling(18000, 30.0, 360, 640, protocol="paper", **fork).sample_fps == pytest.approx(128 / 600)
    assert plan_sampling(108000, 30.0, 360, 640, protocol="paper", **fork).sample_fps == pytest.approx(128 / 3600)
    # 10 s at 25 fps: 20 stage-1 frames stretched to 128 (duplicates), fps 2.0
    p = plan_sampling(250, 25.0, 360, 640, protocol="paper", **fork)
    assert len(p.indices) == 128 and len(set(p.indices)) == 20 and p.sample_fps == pytest.approx(2.0)
    # 64 s fills stage 1 exactly (no duplicate); 65 s is capped at 128 too
    assert len(set(plan_sampling(64 * 30, 30.0, 360, 640, protocol="paper", **fork).indices)) == 128
    assert len(set(plan_sampling(65 * 30, 30.0, 360, 640, protocol="paper", **fork).indices)) == 128
    # the fork's pixel range: 16:9 -> 280x504, 4:3 -> 336x448
    assert p.size == (280, 504)
    # Video-R1 native: frames of 100352..105369 pixels; a 16:9 640x360 frame becomes 224x420 (94080 px,
    # under the minimum: smart_resize floors after scaling down, as the annotated copy of its code notes)
    r1 = get_profile("video_r1").frames("native")
    assert plan_sampling(18000, 30.0, 360, 640, protocol="native", **r1).size == (224, 420)
    assert len(plan_sampling(18000, 30.0, 360, 640, protocol="native", **r1).indices) == 16
    # VideoRFT native: up to 32 frames, 256*28*28 px: 16:9 -> 336x588; a small video is scaled up
    rft = get_profile("videorft").frames("native")
    assert plan_sampling(18000, 30.0, 360, 640, protocol="native", **rft).size == (336, 588)
    assert plan_sampling(18000, 30.0, 120, 160, protocol="native", **rft).size[0] > 120
    # VideoChat-R1.5 native on VSI-Bench: a 5-minute video gets 512 frames; the per-frame floor
    # int(100352 * 1.05) = 105369 px wins over the 128*16*28*28 total budget
    vc = get_profile("videochat_r1_5").frames("native", "vsibench")
    p = plan_sampling(9000, 30.0, 360, 640, protocol="native", **vc)
    assert len(p.indices) == 512 and p.size[0] * p.size[1] <= 105369
