"""Diagnostic evaluation harness for video reasoning models, as an lmms-eval plug-in.

Sub-packages mirror the repository's top-level folders:
`videor2.tasks` (lmms-eval task YAMLs and scoring), `videor2.models` (adapters, frame sampler),
`videor2.diagnostics` (parsing, TAC, VAS, judges), `videor2.reports` (tables, figures, HTML).
"""

__version__ = "0.1.0"

BENCHMARKS_GENERIC = ("mvbench", "videomme", "tempcompass", "mlvu", "longvideobench")
BENCHMARKS_REASONING = ("videomathqa", "videommmu", "mmvu", "vsibench", "minerva", "scivideobench")
BENCHMARKS = BENCHMARKS_GENERIC + BENCHMARKS_REASONING

# Column names used by the paper's tables (../shared/paper/*.csv) for each benchmark.
PAPER_COLUMNS = {
    "mvbench": "MVBench",
    "videomme": "VideoMME",
    "tempcompass": "TempCompass",
    "mlvu": "MLVU",
    "longvideobench": "LongVideoBench",
    "videomathqa": "VideoMathQA",
    "videommmu": "Video-MMMU",
    "mmvu": "MMVU-Val",
    "vsibench": "VSIBench",
    "minerva": "MINERVA",
    "scivideobench": "SciVideoBench",
}


def task_name(benchmark: str) -> str:
    """lmms-eval leaf task name of a benchmark (prefixed so built-in tasks never collide)."""
    return f"videor2_{benchmark}"


def benchmark_of(task: str) -> str:
    """Inverse of `task_name`; accepts a bare benchmark name too."""
    name = task[len("videor2_"):] if task.startswith("videor2_") else task
    if name not in BENCHMARKS:
        raise ValueError(f"unknown benchmark or task {task!r}; known: {', '.join(BENCHMARKS)}")
    return name


def benchmark_label(name: str) -> str:
    """One of the 11 benchmarks for its task or bare name; any other name (a user's own benchmark,
    e.g. in `videor2 tac --input`) is kept as given, stripped."""
    try:
        return benchmark_of(name.strip())
    except ValueError:
        return name.strip()
