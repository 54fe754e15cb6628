"""Frame sampler: hand-derived frame counts, indices, fps and sizes; decoder agreement; errors.

Expected values below were worked out by hand from the rules (docs/PROTOCOLS.md, `paper`):
n = floor_even(min(max(duration * 2, 4), max_frames, total)); indices = qwen-vl-utils'
float32 linspace rounded half to even (see "frame indices as the reference computes them"); sample_fps = n / total * source_fps; smart_resize(factor 28) of the source size.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from videor2.models.sampler import (
    VIDEO_MAX_PIXELS,
    check_video,
    key_window_indices,
    plan_sampling,
    sample_video,
    uniform_indices,
    smart_nframes,
    smart_resize,
)

from videor2.errors import VideoError


@pytest.fixture(scope="session")
def pool(tmp_path_factory) -> dict[str, Path]:
    from videor2.fixtures import build_pool

    env = os.environ.get("VIDEOR2_TEST_POOL")
    root = Path(env) if env else tmp_path_factory.mktemp("sampler_pool")
    return build_pool(root)


def bar_index(frame: np.ndarray, src_h: int, src_w: int) -> int:
    """Read the 16-bit frame-index bar that videor2.fixtures paints on every frame."""
    h, w = frame.shape[:2]
    cell = max(2, src_w // 32)
    row = int(cell * h / src_h / 2)
    value = 0
    for b in range(16):
        if frame[row, int((b + 0.5) * cell * w / src_w)].mean() > 128:
            value |= 1 << b
    return value


# ---------------------------------------------------------------------------------------------
# pure rules


@pytest.mark.parametrize(
    "h, w, min_px, max_px, expected",
    [
        (360, 640, 100352, 151200, (280, 504)),  # 16:9: 364x644 too big, beta=1.2344 -> floor
        (360, 480, 100352, 151200, (336, 448)),  # 4:3: 364x476 too big, beta=1.0690
        (640, 360, 100352, 151200, (504, 280)),  # portrait
        (1080, 1920, 100352, 151200, (280, 504)),
        (360, 640, 3136, 100352, (224, 420)),  # Video-R1 native budget 128*28*28
        (360, 640, 3136, 62720, (168, 308)),  # total_pixels 20480*28*28 over 512 frames
        (112, 200, 100352, 151200, (252, 448)),  # small: beta=2.1166, ceil(8.47)=9, ceil(15.12)=16
        (28, 28, 3136, 151200, (56, 56)),
    ],
)
def test_smart_resize(h, w, min_px, max_px, expected):
    assert smart_resize(h, w, 28, min_px, max_px) == expected
    rh, rw = expected
    assert rh % 28 == 0 and rw % 28 == 0


@pytest.mark.parametrize(
    "total, fps, max_frames, expected",
    [
        (30, 30.0, 128, 4),  # 1 s: 2 -> min 4
        (72, 24.0, 128, 6),
        (250, 25.0, 128, 20),
        (599, 30000 / 1001, 128, 38),  # 39.97 -> floor even 38
        (17982, 30000 / 1001, 128, 128),  # 10 min: 1200 -> 128
        (17982, 30000 / 1001, 768, 768),
        (3, 30.0, 128, 2),  # fewer frames than min_frames: capped at total, floored even
        (5, 1.0, 128, 4),
        (1, 25.0, 128, 1),
    ],
)
def test_smart_nframes(total, fps, max_frames, expected):
    assert smart_nframes(total, fps, fps=2.0, min_frames=4, max_frames=min(max_frames, total)) == expected


def test_smart_nframes_rejects_empty():
    with pytest.raises(ValueError):
        smart_nframes(0, 25.0)


def test_plan_total_pixels_budget():
    # VideoChat-R1.5 style: 512 frames under a 20480*28*28 total budget on a 10-minute 16:9 video
    plan = plan_sampling(17982, 30000 / 1001, 360, 640, protocol="native", max_frames=512,
                         min_pixels=3136, max_pixels=VIDEO_MAX_PIXELS, total_pixels=20480 * 28 * 28)
    assert len(plan.indices) == 512 and plan.size == (168, 308)
    # the min_pixels*1.05 floor wins when the budget per frame is below it
    plan = plan_sampling(17982, 30000 / 1001, 360, 640, protocol="native", max_frames=512,
                         min_pixels=100352, max_pixels=VIDEO_MAX_PIXELS, total_pixels=20480 * 28 * 28)
    assert plan.size == (224, 420)


def test_key_window_allocation():
    # VideoChat-R1.5's rule (sampler.key_window_indices): 45 s at 24 fps, 90 frames, window 10-19 s =
    # frames 240..456 (217 frames, K); the rest N = 1079 - 217 = 862; the window gets
    # round(90 * 1.5*217 / (1.5*217 + 862)) = round(24.67) = 25 frames, np.linspace(240, 456, 25, dtype=int)
    idx = key_window_indices(1080, 24.0, 90, [(10, 19)], 1.5)
    inside = [i for i in idx if 240 <= i <= 456]
    assert inside == np.linspace(240, 456, 25, dtype=int).tolist()
    assert len(idx) == 90 and idx == sorted(set(idx)) and idx[-1] <= 1078
    # a window past the end is dropped; the frames spread over 0..1078 (the evaluation's count is len - 1)
    assert key_window_indices(1080, 24.0, 90, [(50, 60)], 1.5) == np.linspace(0, 1078, 90, dtype=int).tolist()


# ---------------------------------------------------------------------------------------------
# frame indices as the reference computes them
#
# qwen-vl-utils (vision_process.py, `_read_video_decord` and `_read_video_torchvision`, what the
# Video-R2 fork and the models' own eval code call) draws
#     idx = torch.linspace(0, total_frames - 1, nframes).round().long().tolist()
# i.e. a float32 linspace (torch's default dtype) rounded half to even. The fork then picks
# exactly max_num_frames entries with np.linspace(0, len - 1, max_num_frames, dtype=int).


def reference_linspace(total: int, n: int) -> list[int]:
    import torch

    return torch.linspace(0, total - 1, n).round().long().tolist()


def reference_nframes(total: int, video_fps: float, max_frames: int) -> int:
    # smart_nframes: clamp total / fps * 2 into [4, floor_even(min(max_frames, total))], then floor even
    n = min(max(total / video_fps * 2.0, 4), (min(max_frames, total) // 2) * 2, total)
    return int(n // 2 * 2)


def test_float32_indices_known_case():
    # 1 h at 25 fps, 128 frames: 89999 * 114 / 127 = 80786.504 in float64, 80786.5 in float32
    idx = uniform_indices(90000, 128)
    assert idx[114] == 80786
    assert int(np.round(np.linspace(0, 89999, 128))[114]) == 80787  # the float64 rule differs here
    assert idx == reference_linspace(90000, 128)


FPS_GRID = [24000 / 1001, 24.0, 25.0, 30000 / 1001, 30.0, 50.0, 60000 / 1001, 60.0]
SECONDS_GRID = [1, 10, 64, 65, 600, 3600, 7200]


@pytest.mark.parametrize("video_fps", FPS_GRID)
def test_plans_use_the_reference_indices(video_fps):
    for seconds in SECONDS_GRID:
        total = int(round(seconds * video_fps))
        # unified: 2 fps, 4..128 frames
        n = reference_nframes(total, video_fps, 128)
        expected = reference_linspace(total, n)
        assert plan_sampling(total, video_fps, 360, 640, protocol="unified").indices == expected, (seconds, video_fps)
        # native (Video-R1-like: up to 16 frames) and a long native plan (up to 512 frames)
        for max_frames in (16, 512):
            n = reference_nframes(total, video_fps, max_frames)
            plan = plan_sampling(total, video_fps, 360, 640, protocol="native", max_frames=max_frames,
                                 min_pixels=3136, max_pixels=100352)
            assert plan.indices == reference_linspace(total, n), (seconds, video_fps, max_frames)
        # paper: stage 1 by the reference rule (the fork's FPS_MAX_FRAMES=128), then the fork's int pick
        n1 = reference_nframes(total, video_fps, 128)
        stage1 = reference_linspace(total, n1)
        pick = np.linspace(0, n1 - 1, 128, dtype=int)
        assert plan_sampling(total, video_fps, 360, 640, protocol="paper").indices == [stage1[i] for i in pick]


def test_the_grid_tells_float32_from_float64():
    # the grid above would catch a float64 implementation: some of its plans differ under it
    differ = []
    for video_fps in FPS_GRID:
        for seconds in SECONDS_GRID:
            total = int(round(seconds * video_fps))
            for n in (reference_nframes(total, video_fps, 128), reference_nframes(total, video_fps, 768)):
                if reference_linspace(total, n) != [int(i) for i in np.round(np.linspace(0, total - 1, n))]:
                    differ.append((video_fps, seconds, n))
    assert len(differ) >= 5, differ

# name -> (n_frames, (first, second, last) index, sample_fps, size)
UNIFIED = {
    "v1s_30fps_16x9": (4, (0, 10, 29), 4.0, (280, 504)),
    "v3s_24fps_4x3": (6, (0, 14, 71), 2.0, (336, 448)),
    "v10s_25fps_16x9": (20, (0, 13, 249), 2.0, (280, 504)),
    "v10s_30fps_portrait": (20, (0, 16, 299), 2.0, (504, 280)),
    "v20s_2997fps_4x3": (38, (0, 16, 598), 38 / 599 * 30000 / 1001, (336, 448)),
    "v45s_24fps_16x9": (90, (0, 12, 1079), 2.0, (280, 504)),
    "v10min_2997fps_16x9": (128, (0, 142, 17981), 128 / 17982 * 30000 / 1001, (280, 504)),
}
SOURCE_FPS = {"v1s_30fps_16x9": 30.0, "v3s_24fps_4x3": 24.0, "v10s_25fps_16x9": 25.0, "v10s_30fps_portrait": 30.0,
              "v20s_2997fps_4x3": 30000 / 1001, "v45s_24fps_16x9": 24.0, "v10min_2997fps_16x9": 30000 / 1001}


@pytest.mark.parametrize("name", list(UNIFIED))
def test_unified(pool, name):
    n, (first, second, last), sfps, size = UNIFIED[name]
    v = sample_video(pool[name], protocol="unified")
    assert v.protocol == "unified" and v.backend in ("decord", "pyav")
    assert v.frames.shape == (n, size[0], size[1], 3) and v.frames.dtype == np.uint8
    assert len(v.indices) == n and len(set(v.indices)) == n
    assert (v.indices[0], v.indices[1], v.indices[-1]) == (first, second, last)
    assert v.sample_fps == pytest.approx(sfps, rel=1e-6)
    assert v.source_fps == pytest.approx(SOURCE_FPS[name], rel=1e-6)
    assert v.timestamps[1] == pytest.approx(second / SOURCE_FPS[name])
    assert v.timestamps[-1] == pytest.approx(last / SOURCE_FPS[name])
    assert v.size == size
    assert v.duration == pytest.approx(v.num_source_frames / v.source_fps)
    # the decoded frames are the frames the indices name
    sh, sw = v.source_size
    assert [bar_index(f, sh, sw) for f in v.frames] == v.indices


# paper: 2 fps capped at 128 (FPS_MAX_FRAMES), then linspace(0, n1-1, 128, dtype=int) over that list
PAPER = {
    # name: (unique frames, second index, sample_fps)
    "v1s_30fps_16x9": (4, 0, 4.0),
    "v10s_25fps_16x9": (20, 0, 2.0),
    # pick[1] = int(767/127) = 6 -> stage1[6] = round(6 * 17981 / 767) = 141 (unified gives 142)
    # stage 1 already has 128 frames: the pick is the identity; index 1 = round(17981 / 127) = 142
    "v10min_2997fps_16x9": (128, 142, 128 / 17982 * 30000 / 1001),
}


@pytest.mark.parametrize("name", list(PAPER))
def test_paper(pool, name):
    unique, second, sfps = PAPER[name]
    v = sample_video(pool[name], protocol="paper")
    assert v.frames.shape[0] == 128 and len(v.indices) == 128
    assert len(set(v.indices)) == unique
    assert v.indices[0] == 0 and v.indices[-1] == v.num_source_frames - 1
    assert v.indices[1] == second
    assert v.indices == sorted(v.indices)
    assert v.sample_fps == pytest.approx(sfps, rel=1e-6)
    sh, sw = v.source_size
    assert [bar_index(f, sh, sw) for f in v.frames] == v.indices


def test_paper_ten_seconds_pick(pool):
    # 20 stage-1 frames stretched to 128: stage-1 position k repeats where int(linspace) == k
    v = sample_video(pool["v10s_25fps_16x9"], protocol="paper")
    stage1 = list(np.round(np.linspace(0, 249, 20)).astype(int))
    pick = np.linspace(0, 19, 128, dtype=int)
    assert v.indices == [stage1[i] for i in pick]
    assert v.timestamps[-1] == pytest.approx(249 / 25)


def test_native(pool):
    # Video-R1 style: 2 fps, up to 16 frames, 128*28*28 pixels
    v = sample_video(pool["v45s_24fps_16x9"], protocol="native", max_frames=16, min_pixels=3136, max_pixels=100352)
    assert v.frames.shape == (16, 224, 420, 3)
    assert v.indices[:2] == [0, 72] and v.indices[-1] == 1079  # step 1079/15 = 71.93
    assert v.sample_fps == pytest.approx(16 / 1080 * 24)
    v = sample_video(pool["v10s_30fps_portrait"], protocol="native", max_frames=16, min_pixels=3136, max_pixels=100352)
    assert v.frames.shape == (16, 420, 224, 3) and v.indices[-1] == 299


def test_key_windows_decode(pool):
    v = sample_video(pool["v45s_24fps_16x9"], protocol="native", key_windows=[(10, 19)])
    assert v.indices == key_window_indices(1080, 24.0, 90, [(10, 19)])
    assert v.frames.shape[0] == len(v.indices)
    sh, sw = v.source_size
    assert [bar_index(f, sh, sw) for f in v.frames] == v.indices
    with pytest.raises(ValueError):
        sample_video(pool["v45s_24fps_16x9"], protocol="paper", key_windows=[(1, 2)])


@pytest.mark.parametrize("name", [n for n in UNIFIED if n != "v10min_2997fps_16x9"] + ["v10min_2997fps_16x9"])
def test_backends_agree(pool, name):
    pytest.importorskip("decord")
    a = sample_video(pool[name], backend="decord", protocol="paper" if name.startswith("v10s") else "unified")
    b = sample_video(pool[name], backend="pyav", protocol="paper" if name.startswith("v10s") else "unified")
    assert (a.backend, b.backend) == ("decord", "pyav")
    assert a.indices == b.indices and a.timestamps == pytest.approx(b.timestamps)
    assert a.size == b.size and a.frames.shape == b.frames.shape
    assert a.num_source_frames == b.num_source_frames
    assert a.sample_fps == pytest.approx(b.sample_fps)
    assert np.abs(a.frames.astype(np.int16) - b.frames.astype(np.int16)).mean() < 2.0


@pytest.mark.parametrize("backend", ["auto", "decord", "pyav"])
@pytest.mark.parametrize("broken, message", [("missing", "not found"), ("empty", "empty"), ("corrupt", "cannot be decoded")])
def test_broken_videos(pool, backend, broken, message):
    if backend == "decord":
        pytest.importorskip("decord")
    with pytest.raises(VideoError, match=message):
        sample_video(pool[broken], backend=backend)
    with pytest.raises(VideoError):
        check_video(pool[broken])


def test_zero_frame_video(tmp_path):
    # a valid container with a video stream and no frames
    import av

    path = tmp_path / "zero.mp4"
    with av.open(str(path), mode="w") as c:
        s = c.add_stream("libx264", rate=25)
        s.width, s.height, s.pix_fmt = 64, 64, "yuv420p"
    with pytest.raises(VideoError):
        sample_video(path, backend="pyav")
    with pytest.raises(VideoError):
        sample_video(path)


def test_bad_arguments(pool):
    with pytest.raises(ValueError):
        sample_video(pool["v1s_30fps_16x9"], protocol="nope")
    with pytest.raises(ValueError):
        sample_video(pool["v1s_30fps_16x9"], backend="opencv")
