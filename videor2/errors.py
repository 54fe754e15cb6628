"""Per-sample failures that cross the lmms-eval boundary.

lmms-eval's model API returns one string per request, so an adapter that cannot produce an
answer for one sample (undecodable video, generation failure) returns a marker string instead of
raising; the task scorers turn it into a per-sample status, counted wrong and counted as an
error. The run goes on.
"""

from __future__ import annotations

import re

STATUSES = ("video_error", "generation_error")
_MARKER = re.compile(r"^\[videor2:(video_error|generation_error)\]\s?(.*)$", re.DOTALL)


class VideoError(RuntimeError):
    """A video that is missing, empty or cannot be decoded."""


def error_response(status: str, message: str) -> str:
    if status not in STATUSES:
        raise ValueError(f"unknown error status {status!r}")
    return f"[videor2:{status}] {message}"


def parse_error_response(text: str | None) -> tuple[str, str] | None:
    """(status, message) when `text` is an adapter's error marker, else None."""
    if not isinstance(text, str):
        return None
    m = _MARKER.match(text)
    return (m.group(1), m.group(2)) if m else None
