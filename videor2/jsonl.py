"""JSON Lines files that survive a killed writer: appends always start on a fresh line.

A process killed mid-write leaves a torn last line without its newline. Readers skip it; a writer
that appended straight after it would glue the next record onto it and lose both. `open_append`
first ends such a line, so only the record being written when the process died is lost.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO


def open_append(path: str | os.PathLike) -> IO[str]:
    """Open `path` for appending text, first terminating a torn last line."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = path.open("a", encoding="utf-8")
    if fh.tell() > 0:
        with path.open("rb") as rb:
            rb.seek(-1, os.SEEK_END)
            if rb.read(1) != b"\n":
                fh.write("\n")
    return fh


def append_jsonl(path: str | os.PathLike, rows: Iterable[dict], default=None, fsync: bool = False) -> None:
    """Append one JSON object per line (see `open_append`)."""
    with open_append(path) as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False, default=default) + "\n")
        fh.flush()
        if fsync:
            os.fsync(fh.fileno())


def iter_jsonl(path: str | os.PathLike) -> Iterator[dict]:
    """The complete JSON objects of a JSONL file; blank and torn lines are skipped."""
    path = Path(path)
    if not path.exists():
        return
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # the line a killed process was writing
            if isinstance(row, dict):
                yield row
