"""The suite, discovered: every folder under tasks/ whose `utils.py` declares `BENCHMARK = Benchmark(...)`.

Benchmark lists, groups and paper columns come from those declarations (tasks/common/spec.py), in
the paper's order (generic, then reasoning; `order` within). `render_tasks(dest)` writes the lmms-eval
task YAMLs of every benchmark and the three group YAMLs; `videor2.plugin` points lmms-eval at them.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import pkgutil
from pathlib import Path

import videor2.tasks as _tasks_package
from videor2.tasks.common.spec import GROUPS, TASK_PREFIX, Benchmark

SUITE_GROUP = "videor2_suite"
_NOT_BENCHMARKS = ("common",)


def _discover() -> tuple[Benchmark, ...]:
    found = []
    for info in pkgutil.iter_modules(_tasks_package.__path__):
        if not info.ispkg or info.name in _NOT_BENCHMARKS or info.name.startswith("_"):
            continue
        try:
            module = importlib.import_module(f"{_tasks_package.__name__}.{info.name}.utils")
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.endswith(f"{info.name}.utils"):
                continue  # a folder without a utils.py is no benchmark
            raise
        bench = getattr(module, "BENCHMARK", None)
        if isinstance(bench, Benchmark):
            found.append(bench)
    rank = {g: i for i, g in enumerate(GROUPS)}
    return tuple(sorted(found, key=lambda b: (rank.get(b.group, len(rank)), b.order, b.name)))


SUITE: tuple[Benchmark, ...] = _discover()
BY_NAME: dict[str, Benchmark] = {b.name: b for b in SUITE}
BENCHMARKS = tuple(b.name for b in SUITE)
BENCHMARKS_GENERIC = tuple(b.name for b in SUITE if b.group == "generic")
BENCHMARKS_REASONING = tuple(b.name for b in SUITE if b.group == "reasoning")
PAPER_COLUMNS = {b.name: b.paper_column for b in SUITE if b.paper_column}
# lmms-eval group -> its benchmarks; the suite averages (Generic / Reasoning / Overall) use the same lists
GROUP_TASKS = {SUITE_GROUP: BENCHMARKS, "videor2_generic": BENCHMARKS_GENERIC,
               "videor2_reasoning": BENCHMARKS_REASONING}


def benchmark(name: str) -> Benchmark:
    """The declaration of a benchmark, by name or task name."""
    return BY_NAME[benchmark_of(name)]


def task_name(name: str) -> str:
    """lmms-eval leaf task name of a benchmark (prefixed so built-in tasks never collide)."""
    return TASK_PREFIX + name


def benchmark_of(task: str) -> str:
    """Inverse of `task_name`; accepts a bare benchmark name too."""
    name = task[len(TASK_PREFIX):] if task.startswith(TASK_PREFIX) else task
    if name not in BY_NAME:
        raise ValueError(f"unknown benchmark or task {task!r}; known: {', '.join(BENCHMARKS)}")
    return name


def benchmark_label(name: str) -> str:
    """One of the suite's benchmarks for its task or bare name; any other name (a user's own
    benchmark, e.g. in `videor2 tac --input`) is kept as given, stripped."""
    try:
        return benchmark_of(name.strip())
    except ValueError:
        return name.strip()


def _group_yaml(group: str, members: list[str], note: str) -> str:
    tasks = "".join(f"  - {m}\n" for m in members)
    return (f"# {note}\ngroup: {group}\ntask:\n{tasks}"
            "# lmms-eval averages the LEAF tasks of a group (subgroups flattened), unweighted: the paper's "
            "Avg columns\naggregate_metric_list:\n  - metric: videor2_acc\n    aggregation: mean\n"
            "    weight_by_size: false\nmetadata:\n  version: 1.0\n")


def task_files() -> dict[str, str]:
    """file name -> YAML text of every leaf task and group."""
    files = {f"{b.task}.yaml": b.task_yaml() for b in SUITE}
    files["videor2_generic.yaml"] = _group_yaml("videor2_generic", [task_name(b) for b in BENCHMARKS_GENERIC],
                                                "The generic benchmarks of the Video-R2 paper.")
    files["videor2_reasoning.yaml"] = _group_yaml("videor2_reasoning", [task_name(b) for b in BENCHMARKS_REASONING],
                                                  "The reasoning benchmarks of the Video-R2 paper.")
    others = [task_name(b.name) for b in SUITE if b.group not in GROUPS]
    files[f"{SUITE_GROUP}.yaml"] = _group_yaml(SUITE_GROUP, ["videor2_generic", "videor2_reasoning", *others],
                                               "Every benchmark: the paper's Overall column.")
    return files


def render_tasks(root: Path) -> Path:
    """Write the task YAMLs under `root/tasks-<content hash>/` (once; atomically, so concurrent ranks
    never read a half-written folder) and return that folder."""
    files = task_files()
    digest = hashlib.sha256("".join(f"{k}\0{v}\0" for k, v in sorted(files.items())).encode()).hexdigest()[:16]
    dest = Path(root) / f"tasks-{digest}"
    if dest.is_dir():
        return dest
    tmp = dest.with_name(f"{dest.name}.{os.getpid()}.partial")
    tmp.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (tmp / name).write_text(text, encoding="utf-8")
    try:
        os.replace(tmp, dest)
    except OSError:  # another process won the race: its folder holds the same files
        for f in tmp.iterdir():
            f.unlink()
        tmp.rmdir()
    return dest
