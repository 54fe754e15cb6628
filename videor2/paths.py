"""Where generated artefacts live: fixtures, the tiny model, judge caches."""

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
