"""MLVU dev (sy1998/MLVU_dev, split `test`): macro accuracy over the task types.

Hub rows: {video_name, duration, question (already holding the "(A) ..." option lines),
candidates, answer (letter), task_type, question_id}; videos that upstream extracts to
`$HF_HOME/mlvu/<video_name>`. MLVU keeps each task type's videos in its own folder
(`1_plotQA/`, `2_needle/`, ...), so a bare `video_name` is also looked up in its type folder
(`<type folder>/` and `video/<type folder>/`). The mirror: `test-00000-of-00001.parquet` named by
a dataset card, videos at `video/<type folder>/<video_name>`. Breakdown: `type_<task_type>`.
"""

from __future__ import annotations

import re
from pathlib import Path

import datasets

from videor2.tasks.common import hub, reference, scoring
from videor2.tasks.common.docs import answer_letter, option_lines
from videor2.tasks.common.scoring import AnswerKey
from videor2.tasks.common.spec import Benchmark

HUB_ID = "sy1998/MLVU_dev"
CACHE_NAME = "mlvu"
SPLIT = "test"
TYPE_FOLDERS = {
    "plotQA": "1_plotQA", "needle": "2_needle", "ego": "3_ego", "count": "4_count",
    "order": "5_order", "anomaly_reco": "6_anomaly_reco", "topic_reasoning": "7_topic_reasoning",
}
TASK_TYPES = tuple(TYPE_FOLDERS)
_OPTION_LINE = re.compile(r"^\s*\(([A-Z])\)\s*(.*)$")


def _video_path(base: Path, video_name: str, task_type: str) -> str:
    folder = TYPE_FOLDERS.get(task_type, task_type)
    return hub.resolve_video([base / video_name, base / folder / video_name,
                              base / "video" / folder / video_name, base / "video" / video_name])


def load(root: Path | None) -> datasets.Dataset:
    ds, base = hub.load_source(root, HUB_ID, CACHE_NAME, None, SPLIT)
    return hub.with_video_paths(ds, lambda d: _video_path(base, str(d["video_name"]), str(d["task_type"])))


def question_text(doc) -> str:
    return doc["question"]  # the question already holds the option lines


def options_of(doc) -> list[str]:
    """The option texts: `candidates` when the row has them, else the question's "(A) ..." lines."""
    if doc.get("candidates"):
        return [str(c) for c in doc["candidates"]]
    return [m.group(2).strip() for line in doc["question"].splitlines() if (m := _OPTION_LINE.match(line))]


def answer_key(doc) -> AnswerKey:
    options = options_of(doc)
    return AnswerKey(kind="mc", gt=answer_letter(doc["answer"], options), options=options,
                     question=question_text(doc), category=doc["task_type"])


def _question(q: str, options: list[str]) -> str:
    return q + "\n" + option_lines(options, "({letter}) {option}")


def write_fixture(dest: Path, videos: dict[str, Path]) -> None:
    """3 questions over 2 task types; the plotQA movie is the 10-minute video."""
    dest = Path(dest)
    specs = [
        ("movie101_66.mp4", 600.0, "plotQA", "v10min_2997fps_16x9",
         "What does the man in the grey coat do after he enters the workshop?",
         ["He repairs a bicycle", "He reads a letter", "He lights a lamp", "He hides a box"], "D"),
        ("needle_32.mp4", 45.0, "needle", "v45s_24fps_16x9",
         "What colour is the umbrella that appears in the video?",
         ["Red", "Blue", "Yellow", "Black"], "B"),
        ("needle_77.mp4", 20.0, "needle", "v20s_2997fps_4x3",
         "Which animal appears in the video?",
         ["A dog", "A horse", "A cat", "A parrot"], "A"),
    ]
    rows = []
    for i, (name, duration, task_type, pool, q, candidates, answer) in enumerate(specs):
        hub.place(videos[pool], dest / "video" / TYPE_FOLDERS[task_type] / name)
        rows.append(dict(video_name=name, duration=duration, question=_question(q, candidates),
                         candidates=candidates, answer=answer, task_type=task_type, question_id=f"{task_type}_{i}"))
    hub.write_parquet_config(dest, rows, "test-00000-of-00001.parquet", "default", "test")


BENCHMARK = Benchmark(__name__, group="generic", order=4, paper_column="MLVU", hub_id=HUB_ID, split=SPLIT,
                      reference=reference.leading_letter_rule, reference_primary=reference.fixed_macro(TASK_TYPES),
                      breakdown={f"type_{t}": t for t in TASK_TYPES}, primary=scoring.macro_accuracy,
                      note=("MLVU dev: videor2_acc = mean over task types of their accuracy; type_<task_type> "
                            "breakdown."))
globals().update(BENCHMARK.exports())  # the functions the task YAML names
