"""The lmms-eval task class behind all 11 benchmarks: where the documents come from.

Each benchmark declares `load(root)` (tasks/common/spec.py), which returns the benchmark's rows in
the hub dataset's own schema plus a `video_path` column (absolute path of the video file, resolved
once here instead of in every `doc_to_visual`). `root` is the local mirror folder
(`videor2.paths.data_root()`), else None (read the hub dataset). The rendered task YAMLs name this class.
"""

from __future__ import annotations

from pathlib import Path

import datasets
from lmms_eval.api.task import ConfigurableTask

from videor2.paths import data_root
from videor2.tasks.registry import benchmark, benchmark_of


def load_benchmark(name: str, root: Path | None = None) -> datasets.Dataset:
    """All evaluation rows of one benchmark (the mirror under root/<name>, else the hub)."""
    dataset = benchmark(name).load(None if root is None else Path(root) / name)
    if "video_path" not in dataset.column_names:
        raise RuntimeError(f"{name}: load() must add a `video_path` column")
    return dataset


class VideoR2Task(ConfigurableTask):
    def __init__(self, config: dict | None = None, **kwargs):
        # lmms-eval hands the YAML's `class:` key back in; TaskConfig does not accept it
        config = {k: v for k, v in (config or {}).items() if k != "class"}
        super().__init__(config=config, **kwargs)

    def download(self, dataset_kwargs=None) -> None:
        split = self.config.test_split or self.config.validation_split
        self.dataset = datasets.DatasetDict({split: load_benchmark(benchmark_of(self.config.task), data_root())})
        self.dataset_no_image = self.dataset
