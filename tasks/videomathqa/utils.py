"""VideoMathQA (multiple choice, `mcq` config) under the Video-R2 protocol.

Hub: MBZUAI/VideoMathQA, config `mcq`, split `test`; columns used: question_id, videoID, question,
options (["(A) ...", ...], letters included), answer (letter), category, length. Videos: upstream
extracts the repo's archives into `$HF_HOME/videomathqa` and reads `videos/<videoID>.mp4` (then
`.MP4`, `.mkv`). The local mirror has the same layout: README `configs:` + `mcq/test.parquet` +
`videos/<videoID>.mp4`.
"""

from __future__ import annotations

from pathlib import Path

import datasets

from videor2.tasks.common import answers, hub, reference
from videor2.tasks.common.scoring import AnswerKey
from videor2.tasks.common.spec import Benchmark

HUB_ID = "MBZUAI/VideoMathQA"
CONFIG = "mcq"
SPLIT = "test"
CACHE_NAME = "videomathqa"

OPTION_PROMPT_2 = ("Select the best answer to the following multiple-choice question based on the video. "
                   "Respond with the letter (A or B) of the correct option.")
OPTION_PROMPT_5 = ("Select the best answer to the following multiple-choice question based on the video. "
                   "Respond with the letter (A, B, C, D or E) of the correct option.")


def mcq_question(doc) -> str:
    """Reference question text (shared with MINERVA): instruction, question, lettered options, and
    the trailing newline the reference fork puts before its post-prompt."""
    head = OPTION_PROMPT_2 if len(doc["options"]) == 2 else OPTION_PROMPT_5
    return head + "\n" + doc["question"] + "\n" + "\n".join(str(o) for o in doc["options"]) + "\n"


def mcq_answer_key(doc, category=None) -> AnswerKey:
    return AnswerKey(kind="mc", gt=str(doc["answer"]).strip().upper(),
                     options=[answers.strip_option_prefix(str(o)) for o in doc["options"]],
                     question=mcq_question(doc), category=category)


def load_mcq(root: Path | None, hub_id: str, cache_name: str, exts: tuple[str, ...]) -> datasets.Dataset:
    """Rows of an `mcq/test` dataset in this schema (shared with MINERVA), videos at videos/<videoID>.<ext>."""
    ds, base = hub.load_source(root, hub_id, cache_name, CONFIG, SPLIT)
    return hub.with_video_paths(ds, lambda d: hub.resolve_video([base / "videos" / d["videoID"]], exts))


def load(root: Path | None = None) -> datasets.Dataset:
    return load_mcq(root, HUB_ID, CACHE_NAME, ("mp4", "MP4", "mkv"))


def answer_key(doc) -> AnswerKey:
    return mcq_answer_key(doc, doc.get("category"))


def write_fixture(dest: Path, videos: dict[str, Path]) -> None:
    dest = Path(dest)
    rows = [
        {"question_id": "vmqa_0001", "videoID": "geo_angle_clip", "category": "Geometry Angle", "length": "short",
         "question": "The video constructs triangle ABC with angle A = 50 degrees and angle B = 60 degrees. "
                     "What is the measure of angle C in degrees?",
         "options": ["(A) 60", "(B) 70", "(C) 80", "(D) 90", "(E) 110"], "answer": "B"},
        {"question_id": "vmqa_0002", "videoID": "chart_sales", "category": "Chart", "length": "medium",
         "question": "According to the bar chart shown at the end of the lecture, by how many units did "
                     "sales grow from 2021 to 2023?",
         "options": ["(A) 15", "(B) 25", "(C) 35", "(D) 45", "(E) 55"], "answer": "D"},
        {"question_id": "vmqa_0003", "videoID": "topology_knot", "category": "Topology", "length": "short",
         "question": "Is the loop drawn by the presenter equivalent to the unknot?",
         "options": ["(A) Yes", "(B) No"], "answer": "A"},
    ]
    for row, vid in zip(rows, ("v20s_2997fps_4x3", "v45s_24fps_16x9", "v3s_24fps_4x3")):
        hub.place(videos[vid], dest / "videos" / f"{row['videoID']}.mp4")
    hub.write_parquet_config(dest, rows, f"{CONFIG}/{SPLIT}.parquet", CONFIG, SPLIT)


BENCHMARK = Benchmark(__name__, group="reasoning", order=6, paper_column="VideoMathQA", hub_id=HUB_ID, split=SPLIT,
                      reference=reference.first_capital_rule(reference.PREFIXES_JOINED),
                      question_text=mcq_question, note="VideoMathQA (multiple choice): videor2_acc = micro accuracy.")
globals().update(BENCHMARK.exports())  # the functions the task YAML names
