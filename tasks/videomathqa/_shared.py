"""Small helpers shared by the six reasoning benchmarks (videomathqa, videommmu, mmvu, vsibench,
minerva, scivideobench). Lives here because each helper may only add files in its own folders.

- `video_root(repo_id, cache_name)`: where upstream lmms-eval (`dataset_kwargs: video: True`) puts a
  hub dataset's videos: `$HF_HOME/<cache_name>`, filled once from the repo snapshot's zip / tar
  (split `name_0.tar`, `name_1.tar` parts concatenated) archives.
- `load_parquet_config(source, config, split)`: one reader for the hub id and for a local mirror
  folder (a dataset-card README with `configs:` mapping, parquet files), so both go through the same
  `datasets.load_dataset` path.
- `resolve_video(base, stem, exts)`: the first existing `<stem>.<ext>`, else the `.mp4` would-be path.
- `write_parquet_config(...)`: the mirror side: a parquet file plus its README `configs:` entry.
- `breakdown(category)`: a per-category aggregation reporting None (JSON null, "N/A" in lmms-eval's
  table) when the category has no samples, instead of NaN (not valid JSON).
"""

from __future__ import annotations

import glob
import os
import re
import tarfile
import zipfile
from pathlib import Path

import datasets

from videor2.tasks.common import scoring


def hf_home() -> Path:
    return Path(os.path.expanduser(os.getenv("HF_HOME", "~/.cache/huggingface/")))


def video_root(repo_id: str, cache_name: str, revision: str | None = None) -> Path:
    """`$HF_HOME/<cache_name>`, extracted from the hub snapshot's archives on first use (as upstream)."""
    cache_dir = hf_home() / cache_name
    if cache_dir.exists():
        return cache_dir.resolve()
    from huggingface_hub import snapshot_download

    snap = snapshot_download(repo_id=repo_id, repo_type="dataset", revision=revision, etag_timeout=60)
    cache_dir.mkdir(parents=True, exist_ok=True)
    for zf in sorted(glob.glob(os.path.join(snap, "**/*.zip"), recursive=True)):
        with zipfile.ZipFile(zf) as z:
            z.extractall(cache_dir)
    parts: dict[str, list[str]] = {}
    for tf in sorted(glob.glob(os.path.join(snap, "**/*.tar*"), recursive=True)):
        parts.setdefault(re.sub(r"_\d+$", "", tf.split(".tar")[0]), []).append(tf)
    for base, files in parts.items():
        if len(files) == 1:
            with tarfile.open(files[0]) as t:
                t.extractall(cache_dir)
            continue
        joined = cache_dir / (Path(base).name + ".tar")
        with open(joined, "wb") as out:
            for f in sorted(files):
                with open(f, "rb") as src:
                    out.write(src.read())
        with tarfile.open(joined) as t:
            t.extractall(cache_dir)
        joined.unlink()
    return cache_dir.resolve()


def load_parquet_config(source: str, config: str | None, split: str) -> datasets.Dataset:
    """`datasets.load_dataset(source, config, split=split)` for a hub id or a mirror folder."""
    return datasets.load_dataset(source, config, split=split)


def resolve_video(base: Path, stem: str, exts=("mp4", "MP4", "mkv", "webm")) -> str:
    for ext in exts:
        p = base / f"{stem}.{ext}"
        if p.exists():
            return str(p.resolve())
    return str((base / f"{stem}.{exts[0]}").absolute())


def with_video_paths(ds: datasets.Dataset, fn) -> datasets.Dataset:
    """Add (or replace) the `video_path` column with `fn(row)` for every row, none dropped."""
    paths = [fn(row) for row in ds]
    if "video_path" in ds.column_names:
        ds = ds.remove_columns("video_path")
    return ds.add_column("video_path", paths)


def write_parquet_config(dest: Path, rows: list[dict], data_file: str, config: str, split: str,
                         features: datasets.Features | None = None) -> None:
    """Write one config/split of a mirror as parquet and register it in dest/README.md."""
    path = dest / data_file
    path.parent.mkdir(parents=True, exist_ok=True)
    datasets.Dataset.from_list(rows, features=features).to_parquet(str(path))
    readme = dest / "README.md"
    entries = readme.read_text().split("---\n")[1] if readme.exists() else "configs:\n"
    entries += f"- config_name: {config}\n  data_files:\n  - split: {split}\n    path: {data_file}\n"
    readme.write_text("---\n" + entries + "---\n")


def breakdown(category: str):
    """Per-category accuracy in percent; None when no sample has that category."""
    inner = scoring.category_accuracy(category)

    def aggregate(items):
        value = inner(items)
        return None if value != value else value  # NaN -> None

    aggregate.__name__ = f"breakdown_{category}"
    return aggregate
