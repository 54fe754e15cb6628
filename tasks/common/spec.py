"""A benchmark declares itself once: `Benchmark(...)` at the end of its folder's `utils.py`.

Everything else is derived from that declaration: the lmms-eval functions its task YAML names
(`exports()`, put into the module with `globals().update(...)`), the task YAML itself (`task_yaml()`,
rendered with the suite's groups by `videor2.tasks.registry`), the benchmark lists, groups and paper
columns (discovery of every folder that declares one), its place in the fixture mirror.

A 12th benchmark is one more folder under tasks/ with a `utils.py` that ends in such a declaration.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import datasets

from videor2.tasks.common import reference as reference_rules
from videor2.tasks.common import scoring
from videor2.tasks.common.docs import answer_column, doc_to_visual, with_think_prompt

GROUPS = ("generic", "reasoning")  # the paper's two groups, in its column order
TASK_PREFIX = "videor2_"
MODULE_FUNCTIONS = ("load", "question_text", "answer_key", "write_fixture")  # the first three are required


@dataclass(frozen=True)
class Benchmark:
    """One benchmark of the suite. `module` is the declaring module's `__name__`
    (`videor2.tasks.<folder>.utils`); the benchmark's name is the folder's unless given."""

    module: str
    group: str                                        # "generic" | "reasoning" (or another name)
    order: int                                        # position in the paper's tables (sort key)
    hub_id: str                                       # dataset id (rows are read by `load`)
    split: str
    # the module's own functions of these names unless given:
    load: Callable[[Path | None], datasets.Dataset] | None = None  # rows + absolute `video_path`; root: mirror or None
    question_text: Callable[[dict], str] | None = None  # the question as shown, without the think post-prompt
    answer_key: Callable[[dict], scoring.AnswerKey] | None = None
    write_fixture: Callable | None = None             # write_fixture(dest, videos): this benchmark's mirror
    paper_column: str | None = None                   # the column name in the paper's tables
    doc_to_text: Callable | None = None               # default: question_text + think post-prompt
    doc_to_target: Callable = answer_column
    breakdown: Mapping[str, str] = field(default_factory=dict)  # metric -> category
    breakdown_own_docs: bool = True                   # a breakdown metric gets only its category's docs
    primary: Callable = scoring.micro_accuracy        # the benchmark's one score (percent), robust scoring
    # the Video-R2 fork's rule for one answer, (response, AnswerKey) -> reference.ReferenceResult, and its
    # aggregation over items (None: no reference rule; the reference scores then repeat the robust ones)
    reference: Callable | None = None
    reference_primary: Callable = reference_rules.micro
    extra_metrics: Mapping[str, Callable] = field(default_factory=dict)  # further aggregations by name
    max_new_tokens: int = 1024
    note: str = ""                                    # one line: what its score is
    name: str = ""

    def __post_init__(self):
        if not self.name:
            object.__setattr__(self, "name", self.module.split(".")[-2])
        namespace = vars(sys.modules[self.module]) if self.module in sys.modules else {}
        for attr in MODULE_FUNCTIONS:
            if getattr(self, attr) is None and callable(namespace.get(attr)):
                object.__setattr__(self, attr, namespace[attr])
        missing = [a for a in MODULE_FUNCTIONS[:3] if getattr(self, a) is None]
        if missing:
            raise TypeError(f"benchmark {self.name}: define {', '.join(missing)} in {self.module} or pass them")

    @property
    def task(self) -> str:
        """The lmms-eval leaf task name (prefixed so built-in tasks never collide)."""
        return TASK_PREFIX + self.name

    @property
    def metrics(self) -> list[str]:
        return [scoring.PRIMARY_METRIC, scoring.REFERENCE_METRIC, scoring.ROBUST_METRIC, scoring.ERROR_METRIC,
                *self.extra_metrics, *self.breakdown]

    def reference_accuracy(self, items: list[dict]) -> float:
        """The benchmark's score under its reference rule (percent)."""
        return self.reference_primary(items) if self.reference is not None else self.primary(items)

    def accuracy(self, items: list[dict], mode: str | None = None) -> float:
        """The score under a scoring mode (default VIDEOR2_SCORING, else reference)."""
        return self.reference_accuracy(items) if (mode or scoring.scoring_mode()) == "reference" else self.primary(items)

    def aggregations(self) -> dict[str, Callable]:
        """metric -> aggregation over the scored items."""
        out = {scoring.PRIMARY_METRIC: self.accuracy, scoring.REFERENCE_METRIC: self.reference_accuracy,
               scoring.ROBUST_METRIC: self.primary, scoring.ERROR_METRIC: scoring.error_count}
        out.update(self.extra_metrics)
        out.update({m: scoring.category_accuracy(c) for m, c in self.breakdown.items()})
        return out

    def prompt(self, doc: dict) -> str:
        """The task's text for a document (the question and the think post-prompt)."""
        return (self.doc_to_text or with_think_prompt(self.question_text))(doc)

    def exports(self) -> dict[str, object]:
        """The module-level names the task YAML refers to."""
        own = self.breakdown if self.breakdown_own_docs else None
        names = {
            "doc_to_visual": doc_to_visual,
            "doc_to_text": self.doc_to_text or with_think_prompt(self.question_text),
            "doc_to_target": self.doc_to_target,
            "process_results": scoring.process_results_for(self.answer_key, self.metrics, own_breakdown=own,
                                                           reference=self.reference),
        }
        names.update({f"aggregate_{m}": fn for m, fn in self.aggregations().items()})
        return names

    def task_yaml(self) -> str:
        """The lmms-eval task YAML (the loader class reads the rows; generation settings of the protocol)."""
        ref = f"!function {self.module}"
        metrics = "".join(
            f"  - metric: {m}\n    aggregation: {ref}.aggregate_{m}\n"
            f"    higher_is_better: {'false' if m == scoring.ERROR_METRIC else 'true'}\n"
            for m in self.metrics)
        return (
            f"# {self.note or self.name}\n"
            "class: !function videor2.tasks.common.task.VideoR2Task\n"
            f"task: {self.task}\n"
            f"dataset_path: {self.hub_id}  # informational: rows come from {self.module}.load\n"
            f"test_split: {self.split}\n"
            "output_type: generate_until\n"
            f"doc_to_visual: {ref}.doc_to_visual\n"
            f"doc_to_text: {ref}.doc_to_text\n"
            f"doc_to_target: {ref}.doc_to_target\n"
            f"process_results: {ref}.process_results\n"
            f"metric_list:\n{metrics}"
            "# keep the raw <think> in the logs; the scorers read the answer themselves\n"
            'reasoning_tags: "none"\n'
            "generation_kwargs:\n"
            f"  max_new_tokens: {self.max_new_tokens}\n"
            "  temperature: 0\n  top_p: 1.0\n  num_beams: 1\n  do_sample: false\n"
            "  # explicit: lmms-eval's default [\"\\n\\n\"] would cut reasoning at its first blank line\n"
            '  until: ["<|im_end|>"]\n'
            "metadata:\n  version: 1.0\n"
        )
