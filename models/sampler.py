"""Video frame sampling for Qwen2.5-VL models, without torchvision or qwen-vl-utils.

`sample_video(path, ...)` decodes only the frames it needs (decord `get_batch`, or PyAV with a
seek to the keyframe before each target) and resizes them with Qwen2.5-VL's `smart_resize`, so
the result can go straight into a Qwen2.5-VL processor as `videos=[frames]` together with
`fps=[sampled.sample_fps]`. The rules are qwen-vl-utils' `fetch_video` (and the copies the models'
own evaluation code ship), reproduced frame for frame; docs/PROTOCOLS.md lists the sources.

Protocols:

- ``paper`` (the adapters' default protocol; these functions default to ``unified``): what the
  Video-R2 evaluation fork does. Stage 1 samples 2 FPS between 4 and
  `stage1_max_frames` frames (128: the `FPS_MAX_FRAMES` its run script exports), indices
  ``torch.linspace(0, n_total - 1, n1).round()`` in float32; stage 2 then picks exactly
  ``max_frames`` (128) entries of that list with ``np.linspace(0, n1 - 1, 128, dtype=int)`` (a
  10 s clip's 20 frames become 128, duplicates included) while ``sample_fps`` stays stage 1's
  ``n1 / n_total * source_fps``. Per-frame pixels in [100352, 151200].
- ``unified``: the same without duplication: 2 FPS, 4 to 128 frames, the stage-1 list itself.
- ``native``: the same rule with a model's own parameters (fps, frame range, pixel range, a total
  pixel budget, the library's `VIDEO_MAX_PIXELS` constant as that model's copy sets it).

In every protocol the per-frame pixel ceiling is qwen-vl-utils' `fetch_video` rule,
``max(min(video_max_pixels, total_pixels / n * 2), int(min_pixels * 1.05))``, lowered to the
``max_pixels`` a caller passes (none: the ceiling itself). Frames are resized with bicubic,
antialiased interpolation on uint8 (the kernel torchvision uses for tensors, here called through
`torch.nn.functional.interpolate`).

`key_windows` (VideoChat-R1.5's iterative perception) re-distributes the same number of frames
1.5 times denser inside time windows, as that model's evaluation code does; see
`key_window_indices`.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass, field
from typing import Any
from fractions import Fraction
from pathlib import Path

import numpy as np

from videor2.errors import VideoError

log = logging.getLogger(__name__)

IMAGE_FACTOR = 28
FRAME_FACTOR = 2
MAX_RATIO = 200
FPS = 2.0
FPS_MIN_FRAMES = 4
FPS_MAX_FRAMES = 768  # qwen-vl-utils' default cap
VIDEO_MAX_PIXELS = 768 * 28 * 28  # 602112
VIDEO_TOTAL_PIXELS = int(128000 * 28 * 28 * 0.9)

# The Video-R2 paper's protocol (its evaluation fork: run_all.sh model_args and exports).
UNIFIED_MAX_FRAMES = 128
UNIFIED_MIN_PIXELS = 100352
UNIFIED_MAX_PIXELS = 151200
# Stage 1 of the fork: 2 FPS capped at FPS_MAX_FRAMES=128 (run_all.sh exports it; the pip
# qwen-vl-utils ignores the variable and caps at 768: stage1_max_frames=768 reproduces that reading).
PAPER_STAGE1_MAX_FRAMES = 128

PROTOCOLS = ("paper", "unified", "native")
BACKENDS = ("auto", "decord", "pyav")


# ---------------------------------------------------------------------------------------------
# Qwen2.5-VL sizing rules


def _round_by(x: float, f: int) -> int:
    return round(x / f) * f


def _ceil_by(x: float, f: int) -> int:
    return math.ceil(x / f) * f


def _floor_by(x: float, f: int) -> int:
    return math.floor(x / f) * f


def smart_resize(
    height: int,
    width: int,
    factor: int = IMAGE_FACTOR,
    min_pixels: int = UNIFIED_MIN_PIXELS,
    max_pixels: int = UNIFIED_MAX_PIXELS,
) -> tuple[int, int]:
    """Qwen2.5-VL's resize target (h, w): both sides multiples of `factor`, aspect kept.

    Each side is rounded to the nearest multiple of `factor`; if the area then exceeds
    `max_pixels` both sides are scaled by sqrt(h*w/max_pixels) and floored to the factor; if it
    is below `min_pixels` they are scaled up by sqrt(min_pixels/(h*w)) and ceiled.
    640x360 (16:9) -> (280, 504); 480x360 (4:3) -> (336, 448) at the protocol budget.
    """
    if height <= 0 or width <= 0:
        raise ValueError(f"invalid frame size {height}x{width}")
    if max(height, width) / min(height, width) > MAX_RATIO:
        raise ValueError(f"aspect ratio above {MAX_RATIO}: {height}x{width}")
    h_bar = max(factor, _round_by(height, factor))
    w_bar = max(factor, _round_by(width, factor))
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt((height * width) / max_pixels)
        h_bar = max(factor, _floor_by(height / beta, factor))
        w_bar = max(factor, _floor_by(width / beta, factor))
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = _ceil_by(height * beta, factor)
        w_bar = _ceil_by(width * beta, factor)
    return h_bar, w_bar


def smart_nframes(
    total_frames: int,
    video_fps: float,
    *,
    fps: float = FPS,
    min_frames: int = FPS_MIN_FRAMES,
    max_frames: int | None = None,
    nframes: int | None = None,
) -> int:
    """Qwen2.5-VL's frame count for a video of `total_frames` frames at `video_fps`.

    `nframes` given: rounded to an even number. Otherwise ``total_frames / video_fps * fps``
    clamped to [ceil_even(min_frames), floor_even(max_frames)] (max_frames defaults to
    min(768, total_frames)), capped at total_frames, then floored to an even number.
    Deviation from qwen-vl-utils (which raises): a one-frame video gives 1 (the processor
    repeats it to fill the 2-frame temporal patch). Raises ValueError for no frames.
    """
    if total_frames < 1:
        raise ValueError("video has no frames")
    if total_frames == 1:
        return 1
    if nframes is not None:
        n = _round_by(nframes, FRAME_FACTOR)
    else:
        if not video_fps or video_fps <= 0:
            raise ValueError(f"invalid video fps {video_fps!r}")
        lo = _ceil_by(min_frames, FRAME_FACTOR)
        hi = _floor_by(min(FPS_MAX_FRAMES, total_frames) if max_frames is None else max_frames, FRAME_FACTOR)
        n = total_frames / video_fps * fps
        n = min(min(max(n, lo), hi), total_frames)
        n = _floor_by(n, FRAME_FACTOR)
    if not (FRAME_FACTOR <= n <= total_frames):
        raise ValueError(f"nframes should be in [{FRAME_FACTOR}, {total_frames}], got {n}")
    return int(n)


def effective_max_pixels(nframes: int, min_pixels: int, max_pixels: int | None, total_pixels: int | None = None,
                         video_max_pixels: int = VIDEO_MAX_PIXELS) -> int:
    """qwen-vl-utils' per-frame pixel ceiling for a video of `nframes` frames.

    ``max(min(video_max_pixels, total_pixels / nframes * 2), int(min_pixels * 1.05))``, lowered to
    `max_pixels` when the caller passes one (None: not passed). `total_pixels` None means
    VIDEO_TOTAL_PIXELS; `video_max_pixels` is the library constant VIDEO_MAX_PIXELS as a model's
    copy of the library sets it (Video-R1: 128*28*28, VideoRFT: 256*28*28, else 768*28*28).
    """
    total = VIDEO_TOTAL_PIXELS if total_pixels is None else total_pixels
    budget = max(min(video_max_pixels, total / max(nframes, 1) * FRAME_FACTOR), int(min_pixels * 1.05))
    return int(budget if max_pixels is None else min(max_pixels, budget))


def uniform_indices(total_frames: int, n: int) -> list[int]:
    """qwen-vl-utils' rule, bit for bit: ``torch.linspace(0, total_frames - 1, n).round().long()``.

    The linspace is float32 (torch's default) and `round` goes half to even, so long videos get
    other indices than a float64 linspace would (90,000 frames, n = 128: index 114 is 80786, not
    80787). torch itself computes it, so the result is the reference's on the same CPU kernel.
    Unique when n <= total_frames.
    """
    import torch

    return torch.linspace(0, total_frames - 1, n, dtype=torch.float32).round().long().tolist()


def key_window_indices(total_frames: int, video_fps: float, nframes: int, key_windows,
                       density: float = 1.5) -> list[int]:
    """Frame indices for VideoChat-R1.5's next perception round, as its evaluation code draws them.

    The whole video is still covered; frames inside the key windows (seconds) are `density` times
    denser than elsewhere. With F = total_frames - 1 (the code passes the last index as the count):
    1. each window (s, e) becomes frames [int(s * fps), min(int(e * fps), F - 1)]; a window whose
       start lies after its end (reversed, or past the video) is dropped;
    2. K = frames inside windows (overlaps counted twice), N = F - K; the windows get
       ``round(nframes * density*K / (density*K + N))`` samples, shared by length
       (``max(1, round(...))`` each), ``np.linspace(start, end, num, dtype=int)`` per window
       (both ends included); the rest is spread over the frames 0..F-1 outside the windows with
       ``np.linspace(0, len - 1, rest, dtype=int)``;
    3. the union, sorted and without repeats: the count is only about `nframes` and may be odd.
    Windows that are not a list of (start, end) pairs of finite numbers, or weights that sum to
    zero, give the first-round rule instead (`uniform_indices`), as the evaluation's try/except does. Deviation: a negative start is clipped to 0
    (the original code would index before the first frame and fail).
    """
    last = total_frames - 1
    ranges = []
    try:
        for start_s, end_s in key_windows:
            start, end = max(0, int(float(start_s) * video_fps)), min(int(float(end_s) * video_fps), last - 1)
            if start <= end:
                ranges.append((start, end))
    except (TypeError, ValueError, OverflowError):  # not (start, end) pairs of finite numbers
        return uniform_indices(total_frames, nframes)
    inside = sum(e - s + 1 for s, e in ranges)
    weighted = inside * density + (last - inside)
    if weighted <= 0:
        return uniform_indices(total_frames, nframes)
    n_inside = round(nframes * inside * density / weighted)
    n_outside = nframes - n_inside
    picked: set[int] = set()
    for start, end in ranges:
        count = max(1, round(n_inside * (end - start + 1) / inside))
        picked.update(int(i) for i in np.linspace(start, end, num=count, dtype=int))
    covered = set()
    for start, end in ranges:
        covered.update(range(start, end + 1))
    outside = [i for i in range(last) if i not in covered]
    if n_outside > 0 and outside:
        picked.update(outside[int(i)] for i in np.linspace(0, len(outside) - 1, num=n_outside, dtype=int))
    return sorted(picked)


# ---------------------------------------------------------------------------------------------
# The plan: which source frames, at which size


@dataclass
class SamplePlan:
    indices: list[int]  # source frame indices, in output order (duplicates only for `paper`)
    sample_fps: float
    size: tuple[int, int]  # resized (h, w)


@dataclass(frozen=True)
class FrameSettings:
    """How one video is sampled: the protocol and its frame and pixel budgets (module docstring).
    Invalid combinations raise ValueError here, before any decoding."""

    protocol: str = "unified"
    fps: float = FPS
    min_frames: int = FPS_MIN_FRAMES
    max_frames: int = UNIFIED_MAX_FRAMES
    min_pixels: int = UNIFIED_MIN_PIXELS
    max_pixels: int | None = UNIFIED_MAX_PIXELS
    total_pixels: int | None = None
    video_max_pixels: int = VIDEO_MAX_PIXELS
    stage1_max_frames: int = PAPER_STAGE1_MAX_FRAMES
    key_windows: Any = None
    density: float = 1.5

    def __post_init__(self):
        if self.protocol not in PROTOCOLS:
            raise ValueError(f"unknown protocol {self.protocol!r}; expected one of {PROTOCOLS}")
        if self.protocol == "paper" and self.key_windows:
            raise ValueError("key_windows is not part of the paper protocol")
        if (self.fps <= 0 or self.min_frames < 1 or self.max_frames < 1 or self.min_pixels < 1
                or (self.max_pixels is not None and self.max_pixels < self.min_pixels)):
            raise ValueError(f"invalid sampling parameters fps={self.fps} frames=[{self.min_frames}, "
                             f"{self.max_frames}] pixels=[{self.min_pixels}, {self.max_pixels}]")


def plan_sampling(total_frames: int, video_fps: float, height: int, width: int,
                  settings: FrameSettings | None = None, **overrides) -> SamplePlan:
    """Frame indices, the fps to pass to the processor, and the resized size (no decoding).
    `settings`, or FrameSettings(**overrides)."""
    st = settings or FrameSettings(**overrides)
    if st.protocol == "paper":
        n1 = smart_nframes(total_frames, video_fps, fps=st.fps, min_frames=st.min_frames,
                           max_frames=min(st.stage1_max_frames, total_frames))
        stage1 = uniform_indices(total_frames, n1) if n1 > 1 else [0]
        sample_fps = n1 / max(total_frames, 1e-6) * video_fps
        # the fork's stage 2 (its adapter also appends the last index when missing, which an
        # endpoint-inclusive linspace never leaves out)
        pick = np.linspace(0, len(stage1) - 1, st.max_frames, dtype=int)
        indices = [stage1[int(i)] for i in pick]
        n_for_pixels = n1  # the fork's fetch_video sizes frames before stage 2
    else:
        n = smart_nframes(total_frames, video_fps, fps=st.fps, min_frames=st.min_frames,
                          max_frames=min(st.max_frames, total_frames))
        if st.key_windows is not None and n > 1:
            indices = key_window_indices(total_frames, video_fps, n, st.key_windows, st.density)
        else:
            indices = uniform_indices(total_frames, n) if n > 1 else [0]
        sample_fps = n / max(total_frames, 1e-6) * video_fps  # nominal, as the models' code passes it
        n_for_pixels = len(indices)  # sized from the frames actually read
    max_eff = effective_max_pixels(n_for_pixels, st.min_pixels, st.max_pixels, st.total_pixels, st.video_max_pixels)
    size = smart_resize(height, width, IMAGE_FACTOR, st.min_pixels, max_eff)
    return SamplePlan(indices=indices, sample_fps=float(sample_fps), size=size)


# ---------------------------------------------------------------------------------------------
# Decoding


@dataclass
class SampledVideo:
    frames: np.ndarray  # uint8 [T, H, W, 3], resized
    indices: list[int]  # source frame index of each output frame
    timestamps: list[float]  # seconds, index / source_fps
    sample_fps: float  # pass to the Qwen processor as this video's fps
    source_fps: float
    duration: float  # num_source_frames / source_fps
    num_source_frames: int
    size: tuple[int, int]  # resized (h, w)
    backend: str
    protocol: str = "unified"
    source_size: tuple[int, int] = field(default=(0, 0))  # decoded (h, w)


def _validate_file(p: Path) -> None:
    if not p.is_file():
        raise VideoError(f"video not found: {p}")
    if p.stat().st_size == 0:
        raise VideoError(f"video file is empty: {p}")


def check_video(path: str | os.PathLike) -> None:
    """Raise VideoError unless `path` is a video whose first frame decodes."""
    import av

    p = Path(path)
    _validate_file(p)
    try:
        with av.open(str(p)) as container:
            stream = container.streams.video[0]
            next(container.decode(stream))
    except Exception as exc:  # PyAV raises many error types for bad data
        raise VideoError(f"video cannot be decoded: {p}: {type(exc).__name__}: {exc}") from exc


def _decord_available() -> bool:
    try:
        import decord  # noqa: F401
    except Exception:
        return False
    return True


class _DecordSource:
    name = "decord"

    def __init__(self, path: Path):
        import decord

        self.vr = decord.VideoReader(str(path), ctx=decord.cpu(0), num_threads=0)
        self.total = len(self.vr)
        self.fps = float(self.vr.get_avg_fps() or 0.0)
        self.height = self.width = 0
        if self.total > 0:
            # no public size accessor before decoding; frame 0 is cheap and the reader rewinds
            shape = self.vr[0].shape
            self.vr.seek(0)
            self.height, self.width = int(shape[0]), int(shape[1])

    def read(self, unique_sorted: list[int]) -> np.ndarray:
        return self.vr.get_batch(unique_sorted).asnumpy()

    def close(self):
        self.vr = None


class _PyAVSource:
    name = "pyav"

    def __init__(self, path: Path):
        import av

        self.container = av.open(str(path))
        if not self.container.streams.video:
            self.container.close()
            raise VideoError(f"no video stream in {path}")
        self.stream = s = self.container.streams.video[0]
        s.thread_type = "AUTO"
        rate = s.average_rate or s.guessed_rate or s.base_rate
        self.rate = Fraction(rate) if rate else None
        self.tb = Fraction(s.time_base) if s.time_base else None
        self.start = s.start_time or 0
        total = int(s.frames or 0)
        if total <= 0:
            total = sum(1 for pkt in self.container.demux(s) if pkt.size)
            self.container.seek(0, stream=s)
        if not self.rate and total and s.duration and self.tb:
            self.rate = Fraction(total) / (s.duration * self.tb)
        self.total = total
        self.fps = float(self.rate) if self.rate else 0.0
        cc = s.codec_context
        self.height, self.width = cc.height, cc.width

    def _index(self, frame) -> int | None:
        if frame.pts is None or not self.tb or not self.rate:
            return None
        return int(round((frame.pts - self.start) * self.tb * self.rate))

    def _seek(self, target: int):
        pts = self.start + int(Fraction(target) / self.rate / self.tb)
        self.container.seek(pts, stream=self.stream, backward=True, any_frame=False)
        return self.container.decode(self.stream)

    def read(self, unique_sorted: list[int]) -> np.ndarray:
        out: dict[int, np.ndarray] = {}
        it = None
        pos = -1  # index of the last decoded frame
        gop = max(1, math.ceil(self.fps or 1))  # learned keyframe interval (frames)
        last_key = None
        counter = -1  # decode-order position, used when frames carry no pts
        last_frame = None
        for t in unique_sorted:
            if it is None or t - pos > gop or t <= pos:
                try:
                    it = self._seek(t) if self.rate and self.tb else None
                except Exception:
                    it = None
                if it is None:  # no seeking possible: decode from the start
                    self.container.seek(0, stream=self.stream) if counter >= 0 else None
                    it = self.container.decode(self.stream)
                    counter = -1
                first = True
            else:
                first = False
            got = None
            for frame in it:
                counter += 1
                i = self._index(frame)
                if i is None:
                    i = counter
                if frame.key_frame:
                    if last_key is not None and i > last_key:
                        gop = max(gop, i - last_key)
                    last_key = i
                if first and i > t:
                    # the seek landed after the target: restart from the beginning
                    self.container.seek(self.start, stream=self.stream, backward=True, any_frame=False)
                    it = self.container.decode(self.stream)
                    first = False
                    counter = -1
                    continue
                first = False
                pos = i
                if i >= t:
                    got = frame.to_ndarray(format="rgb24")
                    break
                last_frame = frame
            if got is None:
                if last_frame is None:
                    raise VideoError(f"frame {t} could not be decoded")
                log.warning("frame %d missing from the stream; using frame %d", t, pos)
                got = last_frame.to_ndarray(format="rgb24")
            out[t] = got
        return np.stack([out[t] for t in unique_sorted])

    def close(self):
        self.container.close()


def _open_source(path: Path, backend: str):
    return _DecordSource(path) if backend == "decord" else _PyAVSource(path)


def resize_frames(frames: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bicubic, antialiased resize of uint8 [T,H,W,3] frames to `size` (h, w), uint8 out.

    torch's uint8 channels-last kernel for `interpolate(mode="bicubic", antialias=True)`: the
    same filter torchvision applies to uint8 tensors in qwen-vl-utils (mean difference to a
    float32 resize rounded to uint8: about 0.03 grey levels), and several times faster.
    """
    import torch
    import torch.nn.functional as F

    h, w = size
    if frames.shape[1:3] == (h, w):
        return np.ascontiguousarray(frames)
    x = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2)  # NCHW view, channels-last
    y = F.interpolate(x, size=(h, w), mode="bicubic", align_corners=False, antialias=True)
    return np.ascontiguousarray(y.permute(0, 2, 3, 1).numpy())


def sample_video(path: str | os.PathLike, settings: FrameSettings | None = None, *, backend: str = "auto",
                 **overrides) -> SampledVideo:
    """Sample and resize the frames of one video under `protocol` (see the module docstring).

    backend: "decord" (VideoReader.get_batch), "pyav" (seek + decode forward) or "auto"
    (decord when importable; PyAV when decord is missing or fails on this file).
    `settings`, or FrameSettings(**overrides).
    Raises VideoError for a missing, empty or undecodable file and for videos without frames.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; expected one of {BACKENDS}")
    settings = settings or FrameSettings(**overrides)
    p = Path(path)
    _validate_file(p)
    if backend == "auto":
        order = ["decord", "pyav"] if _decord_available() else ["pyav"]
    else:
        order = [backend]
    errors = []
    for name in order:
        try:
            return _sample_with(p, name, settings)
        except VideoError as exc:
            errors.append(f"{name}: {exc}")
        except Exception as exc:  # decoders raise many error types for bad data
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
    raise VideoError(f"video cannot be decoded: {p}: " + "; ".join(errors))


def _sample_with(p: Path, name: str, settings: FrameSettings) -> SampledVideo:
    src = _open_source(p, name)
    try:
        if src.total <= 0:
            raise VideoError(f"video has no frames: {p}")
        if not src.fps or src.fps <= 0 or not math.isfinite(src.fps):
            raise VideoError(f"video has no usable frame rate: {p}")
        plan = plan_sampling(src.total, src.fps, src.height, src.width, settings)
        unique = sorted(set(plan.indices))
        decoded = src.read(unique)
    finally:
        src.close()
    if decoded.ndim != 4 or decoded.shape[0] != len(unique):
        raise VideoError(f"decoder returned {decoded.shape} for {len(unique)} frames: {p}")
    source_size = (int(decoded.shape[1]), int(decoded.shape[2]))
    resized = resize_frames(decoded, plan.size)
    if len(unique) != len(plan.indices):
        pos = {i: k for k, i in enumerate(unique)}
        resized = resized[[pos[i] for i in plan.indices]]
    return SampledVideo(
        frames=resized,
        indices=list(plan.indices),
        timestamps=[i / src.fps for i in plan.indices],
        sample_fps=plan.sample_fps,
        source_fps=src.fps,
        duration=src.total / src.fps,
        num_source_frames=src.total,
        size=plan.size,
        backend=name,
        protocol=settings.protocol,
        source_size=source_size,
    )
