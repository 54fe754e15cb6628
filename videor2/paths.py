"""Where things live: the benchmarks' local mirror (data root), generated artefacts (fixtures, the
tiny model, judge caches)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """VIDEOR2_CACHE, else ~/.cache/videor2 (created on demand)."""
    path = Path(os.environ.get("VIDEOR2_CACHE") or Path.home() / ".cache" / "videor2").expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_fixtures_dir() -> Path:
    from videor2.fixtures import FIXTURE_VERSION

    return cache_dir() / f"fixtures-v{FIXTURE_VERSION}"


DATA_ENV = "VIDEOR2_DATA"
_data_root: Path | None = None  # set by `use_data_root` (in-process callers such as diagnose)


def use_data_root(root: str | os.PathLike | None) -> None:
    """Make the tasks of this process read the mirror in `root` (None: back to VIDEOR2_DATA / hub)."""
    global _data_root
    _data_root = None if root is None else Path(root).expanduser().resolve()


def data_root() -> Path | None:
    """The local mirror: the one given to `use_data_root`, else VIDEOR2_DATA, else None (the hub)."""
    if _data_root is not None:
        return _data_root
    value = os.environ.get(DATA_ENV)
    if not value:
        return None
    root = Path(value).expanduser().resolve()
    if not root.is_dir():
        raise FileNotFoundError(f"{DATA_ENV}={value} is not a directory (create one with `videor2 fixtures DIR`)")
    return root
