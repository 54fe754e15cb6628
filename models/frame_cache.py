"""A disk cache of decoded, resized video frames, shared by runs, ranks and models on one machine.

Decoding an hour-long video costs seconds; the same video is decoded again by every perception
round, every counterfactual variant, every model evaluated on the machine and every rerun. An
entry is one folder ``<root>/<key[:2]>/<key>/`` holding ``frames.npy`` (uint8 [T, H, W, 3],
uncompressed so a warm read is a plain file read) and ``meta.json`` (every other `SampledVideo`
field, and the key's ingredients for inspection).

The key is the file's identity (resolved path, size, mtime_ns) and everything that decides the
frames: the `FrameSettings` values (protocol, frame and pixel budgets, key windows), the decoder
backend asked for (for ``auto``: whether decord is importable, since that picks the decoder) and
the versions of decord, PyAV and torch. It is not the sampling plan itself: computing the plan
needs the container opened, which is a good part of a short video's decode; for a given file the
settings determine the plan, and the entry records the plan's indices and size.

Entries are written into a temporary folder and renamed into place, so concurrent processes and
killed runs never leave a half-written entry; an entry that cannot be read is a miss and is
removed. Failures are never stored (a bad video raises VideoError every time). The total size is
kept under a cap by evicting the least recently used entries (a hit refreshes meta.json's mtime).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import threading
import time
import uuid
from pathlib import Path

import numpy as np

from videor2.models.sampler import FrameSettings, SampledVideo, _decord_available, sample_video

FRAME_CACHE_ENV = "VIDEOR2_FRAME_CACHE"  # where frame_cache=on keeps its frames (the test suite points it at a temporary folder)
DEFAULT_MAX_GB = 50.0  # ~900 videos at the paper protocol (128 frames of 280x504: 54 MB each)
OFF = ("off", "false", "no", "0", "none")
_TMP = ".tmp-"
_STALE_TMP_S = 3600  # a temporary folder this old belongs to a killed writer


def open_frame_cache(spec="on", max_gb=None) -> "FrameCache | None":
    """The cache a `frame_cache=` model_arg asks for: on (``$VIDEOR2_FRAME_CACHE``, else
    ``<cache_dir>/frames``), off (None) or a folder."""
    spec = str(spec if spec is not None else "on").strip()
    if spec.lower() in OFF:
        return None
    if spec.lower() in ("on", "true", "yes", "1", ""):
        from videor2.paths import cache_dir

        root = Path(os.environ[FRAME_CACHE_ENV]) if os.environ.get(FRAME_CACHE_ENV) else cache_dir() / "frames"
    else:
        root = Path(spec).expanduser()
    gb = DEFAULT_MAX_GB if max_gb in (None, "", "None") else float(max_gb)
    return FrameCache(root, max_bytes=int(gb * 1e9))


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for dist in ("decord", "av", "torch"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = None
    return out


class FrameCache:
    """`sample_video` with a disk cache in front (module docstring). Thread-safe."""

    def __init__(self, root, max_bytes: int = int(DEFAULT_MAX_GB * 1e9)):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.max_bytes = int(max_bytes)
        self._versions = _versions()
        self._lock = threading.Lock()
        self.stats = {"hits": 0, "misses": 0, "stores": 0, "evictions": 0, "bytes_read": 0, "bytes_written": 0}

    # ---------------------------------------------------------------- the sampler's interface

    def sample_video(self, path, settings: FrameSettings | None = None, *, backend: str = "auto",
                     **overrides) -> SampledVideo:
        """`sampler.sample_video`, answered from the cache when the same file was sampled alike."""
        settings = settings or FrameSettings(**overrides)
        key = self.key(path, settings, backend)
        if key is None:  # no such file: let the sampler raise its VideoError
            return sample_video(path, settings, backend=backend)
        hit = self.get(key)
        if hit is not None:
            return hit
        video = sample_video(path, settings, backend=backend)  # a VideoError propagates, never stored
        self.put(key, video)
        return video

    def key(self, path, settings: FrameSettings, backend: str = "auto") -> str | None:
        try:
            p = Path(path).resolve()
            st = p.stat()
        except OSError:
            return None
        fields = {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)}
        ident = {"path": str(p), "size": st.st_size, "mtime_ns": st.st_mtime_ns, "settings": fields,
                 "backend": backend, "decord": _decord_available() if backend == "auto" else None,
                 "versions": self._versions}
        # key_windows come from a model's output (any literal); repr is exact for them
        blob = json.dumps(ident, sort_keys=True, default=repr)
        return hashlib.sha256(blob.encode()).hexdigest()

    # ---------------------------------------------------------------- entries

    def _entry(self, key: str) -> Path:
        return self.root / key[:2] / key

    def get(self, key: str) -> SampledVideo | None:
        entry = self._entry(key)
        meta_path = entry / "meta.json"
        try:
            meta = json.loads(meta_path.read_text())
            frames = np.load(entry / "frames.npy", allow_pickle=False)
            video = _from_meta(meta, frames)
        except FileNotFoundError:
            self._count(misses=1)
            return None
        except Exception:  # noqa: BLE001 - unreadable (truncated, edited, foreign): a miss, removed
            self._remove(entry)
            self._count(misses=1)
            return None
        try:
            os.utime(meta_path)  # least recently used = oldest mtime
        except OSError:
            pass  # evicted meanwhile by another process: the frames in hand are still right
        self._count(hits=1, bytes_read=int(frames.nbytes))
        return video

    def put(self, key: str, video: SampledVideo) -> None:
        frames = np.ascontiguousarray(video.frames)
        if frames.nbytes > self.max_bytes:
            return
        entry = self._entry(key)
        entry.parent.mkdir(parents=True, exist_ok=True)
        tmp = entry.parent / f"{_TMP}{key}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        try:
            np.save(tmp / "frames.npy", frames, allow_pickle=False)
            (tmp / "meta.json").write_text(json.dumps(_to_meta(video)))
            os.rename(tmp, entry)
        except Exception:  # noqa: BLE001 - the cache must never fail a run
            # another process stored the same entry first (rename onto a non-empty folder), a full
            # disk, metadata JSON cannot hold exactly: the frames in hand are right either way
            shutil.rmtree(tmp, ignore_errors=True)
            return
        self._count(stores=1, bytes_written=int(frames.nbytes))
        self.evict()

    def evict(self) -> int:
        """Remove the least recently used entries until the cache fits its cap; returns how many.
        Scans the folder each time, so entries written by other processes count too."""
        entries, total, now = [], 0, time.time()
        for sub in self.root.iterdir():
            if not sub.is_dir():
                continue
            for entry in sub.iterdir():
                try:
                    if entry.name.startswith(_TMP):
                        if now - entry.stat().st_mtime > _STALE_TMP_S:
                            shutil.rmtree(entry, ignore_errors=True)
                        continue
                    used = (entry / "meta.json").stat().st_mtime_ns
                    size = sum(f.stat().st_size for f in entry.iterdir())
                except OSError:
                    continue  # removed or being replaced by another process
                entries.append((used, size, entry))
                total += size
        removed = 0
        for _, size, entry in sorted(entries, key=lambda e: e[0]):
            if total <= self.max_bytes:
                break
            self._remove(entry)
            total -= size
            removed += 1
        self._count(evictions=removed)
        return removed

    def size_bytes(self) -> int:
        return sum(f.stat().st_size for f in self.root.glob("*/*/*")
                   if f.is_file() and not f.parent.name.startswith(_TMP))

    def _remove(self, entry: Path) -> None:
        # renamed away first, so no reader sees a half-deleted entry
        doomed = entry.parent / f"{_TMP}gone-{uuid.uuid4().hex[:8]}"
        try:
            os.rename(entry, doomed)
        except OSError:
            return
        shutil.rmtree(doomed, ignore_errors=True)

    def _count(self, **deltas) -> None:
        with self._lock:
            for k, v in deltas.items():
                self.stats[k] += v

    def info(self) -> dict:
        with self._lock:
            return {"dir": str(self.root), "max_bytes": self.max_bytes, **self.stats}


def _to_meta(video: SampledVideo) -> dict:
    meta = {f.name: getattr(video, f.name) for f in dataclasses.fields(video) if f.name != "frames"}
    meta["shape"] = list(video.frames.shape)
    return meta


def _from_meta(meta: dict, frames: np.ndarray) -> SampledVideo:
    if frames.dtype != np.uint8 or list(frames.shape) != meta.pop("shape") or len(frames) != len(meta["indices"]):
        raise ValueError("frames do not match their metadata")
    meta["size"], meta["source_size"] = tuple(meta["size"]), tuple(meta["source_size"])
    return SampledVideo(frames=frames, **meta)
