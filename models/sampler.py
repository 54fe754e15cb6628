"""Video frame sampling (placeholder: only the video check; the sampler lands with the adapters)."""

from __future__ import annotations

import os
from pathlib import Path

from videor2.errors import VideoError


def check_video(path: str | os.PathLike) -> None:
    """Raise VideoError unless `path` is a video whose first frame decodes."""
    import av

    p = Path(path)
    if not p.is_file():
        raise VideoError(f"video not found: {p}")
    if p.stat().st_size == 0:
        raise VideoError(f"video file is empty: {p}")
    try:
        with av.open(str(p)) as container:
            stream = container.streams.video[0]
            next(container.decode(stream))
    except Exception as exc:  # PyAV raises many error types for bad data
        raise VideoError(f"video cannot be decoded: {p}: {type(exc).__name__}: {exc}") from exc
