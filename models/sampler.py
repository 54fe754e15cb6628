"""Video frame sampling for Qwen2.5-VL models, without torchvision or qwen-vl-utils.

`sample_video(path, ...)` decodes only the frames it needs (decord `get_batch`, or PyAV with a
seek to the keyframe before each target) and resizes them with Qwen2.5-VL's `smart_resize`, so
the result can go straight into a Qwen2.5-VL processor as `videos=[frames]` together with
`fps=[sampled.sample_fps]`.

Protocols (see REFERENCE.md section 1):

- ``unified`` (default, the paper's protocol): 2 FPS, at least 4 and at most 128 frames, an even
  count (Qwen2.5-VL's `smart_nframes`), indices spread uniformly over the whole video
  (qwen-vl-utils' float32 `torch.linspace(0, n_total - 1, n).round()`, no duplicates); each frame resized with
  `smart_resize(factor=28, min_pixels=100352, max_pixels=151200)`. ``sample_fps`` is what
  qwen-vl-utils passes to the processor: ``n / n_total * source_fps``.
- ``paper``: what the Video-R2 reference code does: the same 2-FPS sampling, but capped at
  qwen-vl-utils' default 768 frames (`PAPER_STAGE1_MAX_FRAMES`), then exactly ``max_frames``
  entries are picked from that list with ``np.linspace(0, n1 - 1, max_frames, dtype=int)``
  (duplicates included: a 10 s clip's 20 frames become 128), while ``sample_fps`` stays the
  first stage's value (about 2.0; the temporal positions are stretched).
- ``native``: the same rule as ``unified`` with the caller's per-model parameters (fps,
  min/max frames, min/max pixels, optionally a ``total_pixels`` budget).

In every protocol the per-frame pixel ceiling follows qwen-vl-utils' `fetch_video`:
``max_pixels_eff = min(max_pixels, max(min(VIDEO_MAX_PIXELS, total_pixels / n * 2),
int(min_pixels * 1.05)))`` with ``total_pixels`` defaulting to ``VIDEO_TOTAL_PIXELS``
(128000*28*28*0.9), which leaves ``max_pixels`` unchanged for up to 768 frames at the protocol
budget. Frames are resized with bicubic, antialiased interpolation on uint8 (the kernel
torchvision uses for tensors, here called through `torch.nn.functional.interpolate`).

`key_windows` implements VideoChat-R1.5's iterative perception; see `key_window_indices`.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
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
VIDEO_MIN_PIXELS = 128 * 28 * 28  # 100352
VIDEO_MAX_PIXELS = 768 * 28 * 28  # 602112
VIDEO_TOTAL_PIXELS = int(128000 * 28 * 28 * 0.9)

# The unified protocol of the Video-R2 paper.
UNIFIED_MAX_FRAMES = 128
UNIFIED_MIN_PIXELS = 100352
UNIFIED_MAX_PIXELS = 151200
# The reference code samples at 2 FPS with qwen-vl-utils' defaults (cap 768) before forcing 128.
PAPER_STAGE1_MAX_FRAMES = FPS_MAX_FRAMES

PROTOCOLS = ("unified", "paper", "native")
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


def effective_max_pixels(nframes: int, min_pixels: int, max_pixels: int, total_pixels: int | None = None) -> int:
    """qwen-vl-utils' per-frame pixel ceiling for a video of `nframes` frames.

    ``min(max_pixels, max(min(VIDEO_MAX_PIXELS, total_pixels / nframes * FRAME_FACTOR),
    int(min_pixels * 1.05)))``; `total_pixels` None means VIDEO_TOTAL_PIXELS.
    """
    total = VIDEO_TOTAL_PIXELS if total_pixels is None else total_pixels
    budget = max(min(VIDEO_MAX_PIXELS, total / max(nframes, 1) * FRAME_FACTOR), int(min_pixels * 1.05))
    return int(min(max_pixels, budget))


def uniform_indices(total_frames: int, n: int) -> list[int]:
    """qwen-vl-utils' rule, bit for bit: ``torch.linspace(0, total_frames - 1, n).round().long()``.

    The linspace is float32 (torch's default) and `round` goes half to even, so long videos get
    other indices than a float64 linspace would (90,000 frames, n = 128: index 114 is 80786, not
    80787). torch itself computes it, so the result is the reference's on the same CPU kernel.
    Unique when n <= total_frames.
    """
    import torch

    return torch.linspace(0, total_frames - 1, n, dtype=torch.float32).round().long().tolist()


def _merge_windows(windows, duration: float) -> list[tuple[float, float]]:
    spans = []
    for w in windows or ():
        s, e = float(w[0]), float(w[1])
        if e < s:
            s, e = e, s
        s, e = max(0.0, s), min(duration, e)
        if e > s:
            spans.append((s, e))
    spans.sort()
    merged: list[tuple[float, float]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def _largest_remainder(total: int, weights: Sequence[float]) -> list[int]:
    wsum = float(sum(weights))
    if total <= 0 or wsum <= 0:
        return [0] * len(weights)
    exact = [total * w / wsum for w in weights]
    counts = [int(math.floor(x)) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def key_window_indices(
    total_frames: int, video_fps: float, nframes: int, key_windows, density: float = 1.5
) -> list[int]:
    """Indices for `nframes` frames, `density` times denser inside `key_windows` (seconds).

    Allocation rule (exact):
    1. Windows are clipped to [0, D] (D = total_frames / video_fps), reversed ends swapped,
       overlapping ones merged; the rest of [0, D] forms the outside segments. With no window
       left, or no outside left, the result is `uniform_indices`.
    2. Inside/outside split: with W the total window length and O = D - W,
       ``n_in = round(nframes * density*W / (density*W + O))`` (so frames per second inside are
       `density` times those outside), ``n_out = nframes - n_in``.
    3. n_in is shared among the windows and n_out among the outside segments in proportion to
       their lengths (largest remainder, ties to the earlier segment).
    4. A segment [s, e) with k frames gets the bin centres ``s + (j + 0.5) * (e - s) / k``;
       a time t maps to frame ``min(floor(t * video_fps), total_frames - 1)``.
    5. The sorted indices are made strictly increasing (a forward pass ``i_j = max(i_j,
       i_{j-1} + 1)``, then a backward pass ``i_j = min(i_j, i_{j+1} - 1)`` from
       ``total_frames - 1``), so the count is unchanged and no frame repeats.
    """
    if nframes > total_frames:
        raise ValueError(f"cannot take {nframes} distinct frames from {total_frames}")
    duration = total_frames / video_fps
    inside = _merge_windows(key_windows, duration)
    if not inside:
        return uniform_indices(total_frames, nframes)
    outside = []
    cur = 0.0
    for s, e in inside:
        if s > cur:
            outside.append((cur, s))
        cur = e
    if cur < duration:
        outside.append((cur, duration))
    W = sum(e - s for s, e in inside)
    O = sum(e - s for s, e in outside)
    if O <= 0:
        return uniform_indices(total_frames, nframes)
    n_in = int(round(nframes * density * W / (density * W + O)))
    n_out = nframes - n_in
    times: list[float] = []
    for segs, n in ((inside, n_in), (outside, n_out)):
        for (s, e), k in zip(segs, _largest_remainder(n, [e - s for s, e in segs])):
            times.extend(s + (j + 0.5) * (e - s) / k for j in range(k))
    idx = sorted(min(int(math.floor(t * video_fps)), total_frames - 1) for t in times)
    for j in range(1, len(idx)):
        idx[j] = max(idx[j], idx[j - 1] + 1)
    if idx:
        idx[-1] = min(idx[-1], total_frames - 1)
        for j in range(len(idx) - 2, -1, -1):
            idx[j] = min(idx[j], idx[j + 1] - 1)
    return idx


# ---------------------------------------------------------------------------------------------
# The plan: which source frames, at which size


@dataclass
class SamplePlan:
    indices: list[int]  # source frame indices, in output order (duplicates only for `paper`)
    sample_fps: float
    size: tuple[int, int]  # resized (h, w)


def plan_sampling(
    total_frames: int,
    video_fps: float,
    height: int,
    width: int,
    *,
    protocol: str = "unified",
    fps: float = FPS,
    min_frames: int = FPS_MIN_FRAMES,
    max_frames: int = UNIFIED_MAX_FRAMES,
    min_pixels: int = UNIFIED_MIN_PIXELS,
    max_pixels: int = UNIFIED_MAX_PIXELS,
    total_pixels: int | None = None,
    key_windows=None,
    density: float = 1.5,
) -> SamplePlan:
    """Frame indices, the fps to pass to the processor, and the resized size (no decoding)."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; expected one of {PROTOCOLS}")
    if protocol == "paper":
        if key_windows:
            raise ValueError("key_windows is not part of the paper protocol")
        n1 = smart_nframes(total_frames, video_fps, fps=fps, min_frames=min_frames,
                           max_frames=min(PAPER_STAGE1_MAX_FRAMES, total_frames))
        stage1 = uniform_indices(total_frames, n1) if n1 > 1 else [0]
        sample_fps = n1 / max(total_frames, 1e-6) * video_fps
        pick = np.linspace(0, len(stage1) - 1, max_frames, dtype=int)
        if len(stage1) - 1 not in pick:  # never happens with an exact endpoint; kept as the reference does
            pick = np.append(pick, len(stage1) - 1)
        indices = [stage1[int(i)] for i in pick]
        max_eff = effective_max_pixels(n1, min_pixels, max_pixels, total_pixels)
    else:
        n = smart_nframes(total_frames, video_fps, fps=fps, min_frames=min_frames,
                          max_frames=min(max_frames, total_frames))
        if key_windows:
            indices = key_window_indices(total_frames, video_fps, n, key_windows, density)
        else:
            indices = uniform_indices(total_frames, n) if n > 1 else [0]
        sample_fps = n / max(total_frames, 1e-6) * video_fps
        max_eff = effective_max_pixels(n, min_pixels, max_pixels, total_pixels)
    size = smart_resize(height, width, IMAGE_FACTOR, min_pixels, max_eff)
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


def sample_video(
    path: str | os.PathLike,
    *,
    protocol: str = "unified",
    fps: float = FPS,
    min_frames: int = FPS_MIN_FRAMES,
    max_frames: int = UNIFIED_MAX_FRAMES,
    min_pixels: int = UNIFIED_MIN_PIXELS,
    max_pixels: int = UNIFIED_MAX_PIXELS,
    total_pixels: int | None = None,
    backend: str = "auto",
    key_windows=None,
    density: float = 1.5,
) -> SampledVideo:
    """Sample and resize the frames of one video under `protocol` (see the module docstring).

    backend: "decord" (VideoReader.get_batch), "pyav" (seek + decode forward) or "auto"
    (decord when importable; PyAV when decord is missing or fails on this file).
    Raises VideoError for a missing, empty or undecodable file and for videos without frames.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; expected one of {BACKENDS}")
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; expected one of {PROTOCOLS}")
    if protocol == "paper" and key_windows:
        raise ValueError("key_windows is not part of the paper protocol")
    if fps <= 0 or min_frames < 1 or max_frames < 1 or min_pixels < 1 or max_pixels < min_pixels:
        raise ValueError(f"invalid sampling parameters fps={fps} frames=[{min_frames}, {max_frames}] "
                         f"pixels=[{min_pixels}, {max_pixels}]")
    p = Path(path)
    _validate_file(p)
    if backend == "auto":
        order = ["decord", "pyav"] if _decord_available() else ["pyav"]
    else:
        order = [backend]
    errors = []
    for name in order:
        try:
            return _sample_with(p, name, protocol=protocol, fps=fps, min_frames=min_frames,
                                max_frames=max_frames, min_pixels=min_pixels, max_pixels=max_pixels,
                                total_pixels=total_pixels, key_windows=key_windows, density=density)
        except VideoError as exc:
            errors.append(f"{name}: {exc}")
        except Exception as exc:  # decoders raise many error types for bad data
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
    raise VideoError(f"video cannot be decoded: {p}: " + "; ".join(errors))


def _sample_with(p: Path, name: str, *, protocol, fps, min_frames, max_frames, min_pixels, max_pixels,
                 total_pixels, key_windows, density) -> SampledVideo:
    src = _open_source(p, name)
    try:
        if src.total <= 0:
            raise VideoError(f"video has no frames: {p}")
        if not src.fps or src.fps <= 0 or not math.isfinite(src.fps):
            raise VideoError(f"video has no usable frame rate: {p}")
        plan = plan_sampling(src.total, src.fps, src.height, src.width, protocol=protocol, fps=fps,
                             min_frames=min_frames, max_frames=max_frames, min_pixels=min_pixels,
                             max_pixels=max_pixels, total_pixels=total_pixels, key_windows=key_windows,
                             density=density)
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
        protocol=protocol,
        source_size=source_size,
    )
