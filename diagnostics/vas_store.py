"""Sidecar files of the attention probe: one compressed .npz per sample, keyed by (task, doc_id).

Layout: <dir>/<task>/<doc_id>.npz with float16 series in percent, one value per generated token:
`video`, `text` (system + question), `generated` (earlier generated tokens) — the three sum to
100 per token — plus int32 `think_span` / `answer_span` ([start, end) token offsets, [-1, -1]
when absent) and `meta` (a JSON string: layers, head aggregation, prompt length, video
positions, token ids, statistics). Readers get plain numpy arrays and a dict.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np

SERIES = ("video", "text", "generated")


def sidecar_path(root: str | os.PathLike, task: str, doc_id) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", str(doc_id))
    return Path(root) / task / f"{safe}.npz"


def write_sidecar(path: str | os.PathLike, series: dict[str, np.ndarray], think_span=None,
                  answer_span=None, meta: dict | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {k: np.asarray(series[k], dtype=np.float16) for k in SERIES}
    arrays["think_span"] = np.asarray(think_span if think_span else (-1, -1), dtype=np.int32)
    arrays["answer_span"] = np.asarray(answer_span if answer_span else (-1, -1), dtype=np.int32)
    arrays["meta"] = np.asarray(json.dumps(meta or {}, default=_jsonable))
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        np.savez_compressed(fh, **arrays)
    os.replace(tmp, path)  # a reader never sees a half-written sidecar
    return path


def save_record(root: str | os.PathLike, task: str, doc_id, record: dict) -> Path:
    """Write a probe record (diagnostics.vas.sample_record) as the sample's sidecar under root."""
    return write_sidecar(sidecar_path(root, task, doc_id), record["series"], record["think_span"],
                         record["answer_span"], record["meta"])


def read_sidecar(path: str | os.PathLike) -> dict:
    with np.load(path, allow_pickle=False) as data:
        out = {k: data[k].astype(np.float32) for k in SERIES}
        for span in ("think_span", "answer_span"):
            s = tuple(int(x) for x in data[span])
            out[span] = None if s == (-1, -1) else s
        out["meta"] = json.loads(str(data["meta"]))
    return out


def _jsonable(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(type(obj).__name__)
