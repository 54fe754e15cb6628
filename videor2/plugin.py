"""lmms-eval integration: model registration (entry point) and task-folder discovery.

lmms-eval 0.7.3 reads models from the `lmms_eval.models` entry-point group when
`lmms_eval.models` is imported, which happens before the CLI builds its TaskManager. Tasks have
no entry point, so loading our manifests also adds our task folder (the YAMLs rendered from the
benchmark declarations) to every TaskManager's search path; `lmms-eval --tasks videor2_suite` then works with no `--include_path`. Built-in task
folders are indexed first, so built-in names win collisions (ours are all prefixed `videor2_`).
"""

from __future__ import annotations

import os

MODELS = {
    # lmms-eval model name -> adapter class path
    "replay": "videor2.models.replay.Replay",
    "video_r1": "videor2.models.adapter.VideoR1",
    "videochat_r1_5": "videor2.models.adapter.VideoChatR15",
    "videorft": "videor2.models.adapter.VideoRFT",
    "video_r2": "videor2.models.adapter.VideoR2",
    "qwen2_5_vl_cot": "videor2.models.adapter.Qwen25VLCoT",
}


def tasks_path() -> str:
    """The folder holding the suite's lmms-eval task YAMLs (for `--include_path`), rendered from the
    benchmark declarations into the cache on first use (tasks/registry.py)."""
    from videor2.paths import cache_dir
    from videor2.tasks.registry import render_tasks

    return str(render_tasks(cache_dir()))


def _register_task_folder() -> None:
    from lmms_eval.tasks import TaskManager

    if getattr(TaskManager.initialize_tasks, "_videor2", False):
        return
    original = TaskManager.initialize_tasks

    def initialize_tasks(self, include_path=None, include_defaults=True):
        paths = [include_path] if isinstance(include_path, str) else list(include_path or [])
        ours = tasks_path()
        if not any(os.path.abspath(p) == ours for p in paths):
            paths.append(ours)
        return original(self, include_path=paths, include_defaults=include_defaults)

    initialize_tasks._videor2 = True
    TaskManager.initialize_tasks = initialize_tasks


def model_manifests():
    """Entry point `lmms_eval.models`: our adapters, plus the task folder as a side effect."""
    from lmms_eval.models.registry_v2 import ModelManifest

    _register_task_folder()
    return [ModelManifest(model_id=name, simple_class_path=path) for name, path in MODELS.items()]
