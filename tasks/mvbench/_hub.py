"""Hub and mirror plumbing shared by the 5 generic benchmarks (mvbench, videomme, tempcompass,
mlvu, longvideobench). Lives in this folder because each helper only adds files in its own folders;
candidates for `videor2.tasks.common` (videomathqa/_shared.py holds a near twin).

- `video_root(repo_id, cache_name)`: where upstream lmms-eval (`dataset_kwargs: video: True`) puts a
  hub dataset's videos, `$HF_HOME/<cache_name>`, filled once from the snapshot's zip / tar archives
  (split tar parts `x.tar.part.aa` or `x_0.tar` concatenated first). Without archives, the snapshot.
- `write_card(dest, configs)`: the mirror's dataset card (README.md `configs:`), so that
  `datasets.load_dataset(<mirror dir>, config, split=...)` reads the mirror through the same loader
  and the same config/split names as `datasets.load_dataset(<hub id>, ...)`.
- `first_existing(candidates)`: the first existing path, else the first candidate (the would-be path).
"""

from __future__ import annotations

import glob
import os
import re
import tarfile
import zipfile
from pathlib import Path

import datasets
import yaml


def hf_home() -> Path:
    return Path(os.path.expanduser(os.getenv("HF_HOME", "~/.cache/huggingface/")))


def snapshot(repo_id: str, revision: str | None = None) -> Path:
    from huggingface_hub import snapshot_download

    return Path(snapshot_download(repo_id=repo_id, repo_type="dataset", revision=revision, etag_timeout=60))


def video_root(repo_id: str, cache_name: str, revision: str | None = None) -> Path:
    """`$HF_HOME/<cache_name>` with the hub archives extracted (once), as upstream lays it out."""
    cache_dir = hf_home() / cache_name
    if cache_dir.exists():
        return cache_dir.resolve()
    snap = snapshot(repo_id, revision)
    archives = sorted(glob.glob(str(snap / "**" / "*.zip"), recursive=True))
    tars = sorted(glob.glob(str(snap / "**" / "*.tar*"), recursive=True))
    if not archives and not tars:
        return snap.resolve()
    tmp = cache_dir.with_name(cache_dir.name + ".partial")
    tmp.mkdir(parents=True, exist_ok=True)
    for zf in archives:
        with zipfile.ZipFile(zf) as z:
            z.extractall(tmp)
    parts: dict[str, list[str]] = {}
    for tf in tars:
        parts.setdefault(re.sub(r"(_\d+)?$", "", tf.split(".tar")[0]), []).append(tf)
    for base, files in parts.items():
        joined = tmp / (Path(base).name + ".tar")
        with open(joined, "wb") as out:
            for f in sorted(files):
                with open(f, "rb") as src:
                    while chunk := src.read(1 << 24):
                        out.write(chunk)
        with tarfile.open(joined) as t:
            t.extractall(tmp)
        joined.unlink()
    os.replace(tmp, cache_dir)
    return cache_dir.resolve()


def write_card(dest: Path, configs: list[dict]) -> Path:
    """README.md with a `configs:` header ({config_name, data_files: [{split, path}]})."""
    dest.mkdir(parents=True, exist_ok=True)
    card = dest / "README.md"
    card.write_text("---\n" + yaml.safe_dump({"configs": configs}, sort_keys=False) + "---\n")
    return card


def load_split(source: str | Path, config: str | None, split: str) -> datasets.Dataset:
    """One loader for the hub id and the mirror folder (dataset card with `configs:`)."""
    return datasets.load_dataset(str(source), config, split=split)


def write_parquet(rows: list[dict], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    datasets.Dataset.from_list(rows).to_parquet(str(path))
    return path


def first_existing(candidates: list[Path]) -> str:
    for p in candidates:
        if p.exists():
            return str(p.resolve())
    return str(candidates[0].absolute())


def add_column(ds: datasets.Dataset, name: str, values: list) -> datasets.Dataset:
    if name in ds.column_names:
        ds = ds.remove_columns(name)
    return ds.add_column(name, values)
