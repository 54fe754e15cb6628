"""Decode-ahead: the videos of the next requests are decoded while the model answers the current ones.

Decoding and resizing 128 frames costs about a second on a 10-minute clip and several on an hour
of 1080p, time during which an accelerator would sit idle if decoding came first. `DecodeAhead`
runs the decodes of upcoming requests in a thread pool: decord, PyAV and torch's resize release
the GIL while they work (measured by `scripts/bench_pipeline.py --gil`: a sleeping Python thread
wakes on time during a decode), so threads run them in parallel without copying frames between
processes. At most `ahead` requests are decoded or decoding beyond the one the model takes, which
bounds memory; a decode's error is raised when, and only when, its request takes it, so every
sample keeps its own `video_error` and the results do not depend on decode-ahead.

`PipelineStats` accounts decode time, model time and their overlap for run_info.json.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections import defaultdict, deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from videor2.models.sampler import SampledVideo, sample_video


@dataclasses.dataclass(frozen=True)
class Decode:
    """One request's first decode: the arguments of `sample_video` (hashable: equal decodes in the
    window are run once)."""

    path: str
    protocol: str
    frames: tuple[tuple[str, Any], ...]  # the frame settings, sorted (name, value) pairs
    backend: str = "auto"

    @classmethod
    def of(cls, path, protocol: str, frames: dict, backend: str = "auto") -> "Decode":
        return cls(str(path), protocol, tuple(sorted(frames.items())), backend)

    def run(self, cache=None) -> SampledVideo:
        decode = sample_video if cache is None else cache.sample_video
        return decode(self.path, protocol=self.protocol, backend=self.backend, **dict(self.frames))


class DecodeAhead:
    """Decodes planned requests' videos ahead of the consumer (module docstring).

    `jobs` lists each request's first decode in the order the consumer will take them (None: a
    request without one). `take(job)` returns the next planned occurrence's video, raising its
    error as a direct decode would, or None when `job` is not planned (the caller decodes it).
    `ahead` 0 disables the pool: every `take` returns None. Use as a context manager."""

    def __init__(self, jobs: list, *, ahead: int, workers: int, cache=None, stats: "PipelineStats | None" = None):
        self.jobs = list(jobs)
        self.ahead = max(0, int(ahead))
        self.cache = cache
        self.stats = stats if stats is not None else PipelineStats()
        self._pool = ThreadPoolExecutor(max(1, int(workers)), thread_name_prefix="videor2-decode") if self.ahead else None
        self._positions: dict[Decode, deque] = defaultdict(deque)
        for i, job in enumerate(self.jobs):
            if job is not None:
                self._positions[job].append(i)
        self._futures: dict[int, Future] = {}  # submitted, not yet taken
        self._by_job: dict[Decode, Future] = {}  # the future an equal job in the window shares
        self._next = 0  # first position not taken
        self._submitted = 0  # first position not submitted
        self._started = time.perf_counter()
        self._fill()

    def __enter__(self) -> "DecodeAhead":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._futures.clear()
        self._by_job.clear()
        self.stats.ran(time.perf_counter() - self._started)

    def take(self, job: Decode | None) -> SampledVideo | None:
        if self._pool is None or job is None:
            return None
        positions = self._positions.get(job)
        while positions and positions[0] < self._next:
            positions.popleft()  # passed over: the consumer skipped it
        if not positions:
            return None
        p = positions.popleft()
        for q in range(self._next, p):  # planned but never asked for
            self._release(q, cancel=True)
        self._next = p + 1
        if p >= self._submitted:  # beyond the window (the consumer skipped ahead): submit just this one
            self._submitted = p
            self._fill(upto=p + 1)
        future = self._release(p, cancel=False)
        shared = any(f is future for f in self._futures.values())
        self._fill()
        video = future.result()  # a decode error surfaces here, for this request only
        # a later request shares this decode: it gets the original, this one a copy (the caller may
        # change its frames in place)
        return _copy(video) if shared else video

    def _fill(self, upto: int | None = None) -> None:
        end = min(len(self.jobs), self._next + self.ahead if upto is None else upto)
        while self._submitted < end:
            q, job = self._submitted, self.jobs[self._submitted]
            self._submitted += 1
            if job is None:
                continue
            future = self._by_job.get(job)
            if future is None:
                future = self._by_job[job] = self._pool.submit(self._run, job)
            self._futures[q] = future

    def _release(self, q: int, cancel: bool) -> Future | None:
        future = self._futures.pop(q, None)
        if future is not None and not any(f is future for f in self._futures.values()):
            if self._by_job.get(self.jobs[q]) is future:
                del self._by_job[self.jobs[q]]
            if cancel:
                future.cancel()  # nobody will take it
        return future

    def _run(self, job: Decode) -> SampledVideo:
        start = time.perf_counter()
        try:
            return job.run(self.cache)
        finally:
            self.stats.decoded(start, time.perf_counter())


def _copy(video: SampledVideo) -> SampledVideo:
    return dataclasses.replace(video, frames=video.frames.copy(), indices=list(video.indices),
                               timestamps=list(video.timestamps))


# ---------------------------------------------------------------------------------------------
# Accounting


def _union(intervals) -> list[tuple[float, float]]:
    out: list[list[float]] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def _length(intervals) -> float:
    return sum(b - a for a, b in intervals)


def _intersection(xs, ys) -> float:
    """Total length where two sorted lists of disjoint intervals overlap."""
    i = j = 0
    total = 0.0
    while i < len(xs) and j < len(ys):
        lo, hi = max(xs[i][0], ys[j][0]), min(xs[i][1], ys[j][1])
        total += max(0.0, hi - lo)
        if xs[i][1] < ys[j][1]:
            i += 1
        else:
            j += 1
    return total


class PipelineStats:
    """Decode time, model time and their overlap, accumulated over a model's lifetime (thread-safe).

    decode_s: the sum of every request's decode (frames from the cache included); decode_wall_s:
    wall time during which at least one decode ran; wait_s: wall time the model loop waited for
    frames; model_s: wall time in generation; overlap_s: wall time during which decoding and
    generation ran at once; wall_s: wall time of the generation loops."""

    def __init__(self):
        self._lock = threading.Lock()
        self._decodes: list[tuple[float, float]] = []
        self._model: list[tuple[float, float]] = []
        self.decode_s = self.wait_s = self.wall_s = 0.0
        self.decodes = 0

    def decoded(self, start: float, end: float) -> None:
        with self._lock:
            self._decodes.append((start, end))
            self.decode_s += end - start
            self.decodes += 1

    def generated(self, start: float, end: float) -> None:
        with self._lock:
            self._model.append((start, end))

    def waited(self, seconds: float) -> None:
        with self._lock:
            self.wait_s += seconds

    def ran(self, seconds: float) -> None:
        with self._lock:
            self.wall_s += seconds

    def as_dict(self) -> dict:
        with self._lock:
            # kept merged, so a long run (diagnose calls generate_until per chunk) holds few intervals
            decodes = self._decodes = _union(self._decodes)
            model = self._model = _union(self._model)
            return {"wall_s": round(self.wall_s, 3), "decodes": self.decodes, "decode_s": round(self.decode_s, 3),
                    "decode_wall_s": round(_length(decodes), 3), "wait_s": round(self.wait_s, 3),
                    "model_s": round(_length(model), 3), "overlap_s": round(_intersection(decodes, model), 3)}


def summary_line(stats: dict) -> str:
    """One line for the terminal."""
    s = stats
    line = (f"pipeline: {s['decodes']} videos decoded in {s['decode_s']:.1f} s, {s['overlap_s']:.1f} s of it during "
            f"{s['model_s']:.1f} s of generation; the model waited {s['wait_s']:.1f} s for frames "
            f"(decode_ahead={s.get('decode_ahead')}, decode_workers={s.get('decode_workers')})")
    cache = s.get("cache")
    if cache:
        line += (f"; frame cache: {cache['hits']} hits, {cache['misses']} misses, {cache['evictions']} evicted, "
                 f"{cache['bytes_read'] / 1e9:.2f} GB read, {cache['bytes_written'] / 1e9:.2f} GB written")
    else:
        line += "; frame cache off"
    return line


def write_stats(path: Path, stats: dict) -> None:
    tmp = Path(path).with_suffix(".json.tmp")
    tmp.write_text(json.dumps(stats, indent=1))
    tmp.replace(path)


def read_stats(log_dir: Path) -> dict | None:
    """The pipeline stats an adapter wrote into `log_dir` (pipeline.json, or one file per rank:
    summed, wall time the longest rank's), or None."""
    files = sorted(Path(log_dir).glob("pipeline*.json"))
    if not files:
        return None
    merged = _merge([json.loads(f.read_text()) for f in files])
    merged["ranks"] = len(files)
    return merged


_FIRST = ("decode_ahead", "decode_workers", "max_bytes")  # settings, equal on every rank


def _merge(parts: list, key: str | None = None) -> Any:
    first = parts[0]
    if isinstance(first, dict):
        return {k: _merge([p[k] for p in parts if isinstance(p, dict) and k in p], k) for k in first}
    if key == "wall_s":
        return max(parts)  # the ranks ran side by side
    if isinstance(first, (int, float)) and not isinstance(first, bool) and key not in _FIRST:
        return round(sum(parts), 3) if isinstance(first, float) else sum(parts)
    return first
