"""On-disk cache of judge replies: append-only JSONL, one {"key", "reply"} per line.

The key is a sha256 over (backend, model, prompt-template hash, sampling parameters, messages), so
a rerun or a resumed run sends nothing twice, and changing the prompt, model or sampling misses.
Only replies that arrived are cached (a transport failure is retried by the next run). Each entry
is flushed when written: a killed run keeps everything it received except the line being written.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path

from videor2.jsonl import open_append


def cache_key(backend: str, model: str, prompt_sha: str, sampling: dict, messages: list[dict]) -> str:
    blob = json.dumps({"backend": backend, "model": model, "prompt": prompt_sha, "sampling": sampling,
                       "messages": messages}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class JudgeCache:
    def __init__(self, path: str | os.PathLike | None):
        self.path = Path(path) if path else None
        self._data: dict[str, str] = {}
        self._lock = threading.Lock()
        self._fh = None
        if self.path and self.path.exists():
            with self.path.open(encoding="utf-8") as fh:
                for line in fh:
                    try:
                        row = json.loads(line)
                        self._data[row["key"]] = row["reply"]
                    except (json.JSONDecodeError, KeyError, TypeError):
                        continue  # torn last line of a killed run

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: str) -> str | None:
        return self._data.get(key)

    def put(self, key: str, reply: str) -> None:
        with self._lock:
            self._data[key] = reply
            if self.path is None:
                return
            if self._fh is None:
                self._fh = open_append(self.path)
            self._fh.write(json.dumps({"key": key, "reply": reply}, ensure_ascii=False) + "\n")
            self._fh.flush()

    def close(self) -> None:
        with self._lock:
            if self._fh is not None:
                self._fh.close()
                self._fh = None
