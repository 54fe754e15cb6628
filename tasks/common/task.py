"""The lmms-eval task class behind all 11 benchmarks: where the documents come from.

Each benchmark folder's `utils.py` has `load(root)`, which returns the benchmark's rows in the
hub dataset's own schema plus a `video_path` column (absolute path of the video file, resolved
once here instead of in every `doc_to_visual`). `root` is the local mirror folder when
`VIDEOR2_DATA` is set, else None (read the hub dataset). YAMLs name this class with
`class: !function ../common/task.VideoR2Task`.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import datasets
from lmms_eval.api.task import ConfigurableTask

from videor2 import benchmark_of

DATA_ENV = "VIDEOR2_DATA"


def data_root() -> Path | None:
    """The local mirror named by VIDEOR2_DATA, or None for the hub datasets."""
    value = os.environ.get(DATA_ENV)
    if not value:
        return None
    root = Path(value).expanduser().resolve()
    if not root.is_dir():
        raise FileNotFoundError(f"{DATA_ENV}={value} is not a directory (create one with `videor2 fixtures DIR`)")
    return root


def benchmark_module(benchmark: str):
    return importlib.import_module(f"videor2.tasks.{benchmark}.utils")


def load_benchmark(benchmark: str, root: Path | None = None) -> datasets.Dataset:
    """All evaluation rows of one benchmark (the mirror under root/<benchmark>, else the hub)."""
    dataset = benchmark_module(benchmark).load(None if root is None else Path(root) / benchmark)
    if "video_path" not in dataset.column_names:
        raise RuntimeError(f"{benchmark}: load() must add a `video_path` column")
    return dataset


class VideoR2Task(ConfigurableTask):
    def __init__(self, config: dict | None = None, **kwargs):
        # lmms-eval hands the YAML's `class:` key back in; TaskConfig does not accept it
        config = {k: v for k, v in (config or {}).items() if k != "class"}
        super().__init__(config=config, **kwargs)

    def download(self, dataset_kwargs=None) -> None:
        split = self.config.test_split or self.config.validation_split
        benchmark = benchmark_of(self.config.task)
        self.dataset = datasets.DatasetDict({split: load_benchmark(benchmark, data_root())})
        self.dataset_no_image = self.dataset
