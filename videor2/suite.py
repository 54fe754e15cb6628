"""Suite averages as the paper computes them: unweighted means over benchmarks."""

from __future__ import annotations

import math
from statistics import mean

from videor2.tasks.registry import BENCHMARKS, BENCHMARKS_GENERIC, BENCHMARKS_REASONING

GROUPS = {"Generic": BENCHMARKS_GENERIC, "Reasoning": BENCHMARKS_REASONING, "Overall": BENCHMARKS}


def suite_means(per_benchmark: dict[str, float]) -> dict[str, float]:
    """{"Generic", "Reasoning", "Overall"} -> unweighted mean of the benchmarks present (NaN skipped).

    A group with none of its benchmarks present is NaN, never 0.
    """
    out = {}
    for group, members in GROUPS.items():
        values = [per_benchmark[b] for b in members if b in per_benchmark and per_benchmark[b] is not None
                  and not math.isnan(per_benchmark[b])]
        out[group] = mean(values) if values else float("nan")
    return out
