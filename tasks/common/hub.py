"""Hub and mirror plumbing shared by the 11 benchmarks: one function per idea.

- `hf_home()`, `snapshot(repo_id)`: the Hugging Face cache and a dataset repo's snapshot.
- `video_root(repo_id, cache_name)`: where upstream lmms-eval (`dataset_kwargs: video: True`) puts a
  hub dataset's videos, `$HF_HOME/<cache_name>`, filled once from the snapshot's zip / tar archives
  (split tar parts `x.tar.part.aa` or `x_0.tar`, `x_1.tar` concatenated first), extracted into a
  `.partial` folder that is renamed when complete. Without archives, the snapshot itself.
- `load_split(source, config, split)`: one reader for the hub id and for a local mirror folder (a
  dataset card README with a `configs:` mapping), both through `datasets.load_dataset`.
- `load_source(root, hub_id, cache_name, config, split)`: the rows and the folder their videos are
  under: the mirror folder when `root` is given, else the hub split and `video_root`.
- `write_parquet(rows, path)`, `write_card(dest, configs)`, `write_parquet_config(...)`: the mirror
  side: parquet files and the README `configs:` entries that name them (so that the mirror is read
  with the same config/split names as the hub dataset).
- `resolve_video(candidates, exts)`: the first existing candidate path (each tried with every
  extension when `exts` is given), else the first would-be path, absolute.
- `set_column(ds, name, values)`, `with_video_paths(ds, fn)`: add or replace a column (the
  `video_path` column from `fn(row)`), no row dropped.
- `place(video, dest)`: put a fixture video into a mirror (hard link when possible).
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import tarfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import datasets
import yaml

VIDEO_COLUMN = "video_path"


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


def load_split(source: str | Path, config: str | None, split: str) -> datasets.Dataset:
    """`datasets.load_dataset(source, config, split=split)` for a hub id or a mirror folder."""
    return datasets.load_dataset(str(source), config, split=split)


def load_source(root: Path | None, hub_id: str, cache_name: str, config: str | None,
                split: str) -> tuple[datasets.Dataset, Path]:
    """(rows, video base folder): the mirror folder `root` when given, else the hub split and
    `video_root(hub_id, cache_name)`."""
    if root is not None:
        root = Path(root).resolve()
        return load_split(root, config, split), root
    return load_split(hub_id, config, split), video_root(hub_id, cache_name)


def write_parquet(rows: list[dict], path: Path, features: datasets.Features | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    datasets.Dataset.from_list(rows, features=features).to_parquet(str(path))
    return path


def write_card(dest: Path, configs: list[dict]) -> Path:
    """Add (or replace, by `config_name`) `configs` ({config_name, data_files: [{split, path}]})
    in dest/README.md's `configs:` header."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    card = dest / "README.md"
    merged: dict[str, dict] = {}
    if card.exists():
        header = card.read_text().split("---\n")
        existing = (yaml.safe_load(header[1]) if len(header) > 1 else None) or {}
        for entry in existing.get("configs") or []:
            merged[entry["config_name"]] = entry
    for entry in configs:
        old = merged.get(entry["config_name"])
        if old is not None:  # same config: replace the splits it names, keep the others
            splits = {f["split"] for f in entry["data_files"]}
            entry = {**entry, "data_files": [f for f in old["data_files"] if f["split"] not in splits]
                     + list(entry["data_files"])}
        merged[entry["config_name"]] = entry
    card.write_text("---\n" + yaml.safe_dump({"configs": list(merged.values())}, sort_keys=False) + "---\n")
    return card


def write_parquet_config(dest: Path, rows: list[dict], data_file: str, config: str, split: str,
                         features: datasets.Features | None = None) -> Path:
    """One config/split of a mirror: dest/<data_file> as parquet, registered in dest/README.md."""
    write_parquet(rows, Path(dest) / data_file, features)
    return write_card(dest, [{"config_name": config, "data_files": [{"split": split, "path": data_file}]}])


def resolve_video(candidates: Iterable[Path], exts: Sequence[str] = ()) -> str:
    """The first existing path among `candidates` (each as `<candidate>.<ext>` for every ext when
    `exts` is given), resolved; else the first would-be path, absolute."""
    paths = [Path(f"{c}.{e}") for c in candidates for e in exts] if exts else [Path(c) for c in candidates]
    for p in paths:
        if p.exists():
            return str(p.resolve())
    return str(paths[0].absolute())


def set_column(ds: datasets.Dataset, name: str, values: list) -> datasets.Dataset:
    """Add (or replace) column `name`."""
    if name in ds.column_names:
        ds = ds.remove_columns(name)
    return ds.add_column(name, values)


def with_video_paths(ds: datasets.Dataset, fn: Callable[[dict], str]) -> datasets.Dataset:
    """Add (or replace) the `video_path` column with `fn(row)` for every row, none dropped."""
    return set_column(ds, VIDEO_COLUMN, [fn(row) for row in ds])


def place(video: Path, dest: Path) -> Path:
    """Put a pool video at `dest` (hard link when possible). A missing source stays missing."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if not video.exists():
        return dest
    if dest.exists():
        dest.unlink()
    try:
        os.link(video, dest)
    except OSError:
        shutil.copyfile(video, dest)
    return dest
