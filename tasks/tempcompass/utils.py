"""TempCompass as the Video-R2 reference runs it (`tempcompass_complete_think`): the multiple-choice
set of mmaaz60/tempcompass (config `mcq`, split `test`), micro accuracy.

Hub: rows {video_id, question, options ["A. ...", ...], answer (letter), uuid, dim}; videos that
upstream extracts to `$HF_HOME/tempcompass_complete/videos/<video_id>.mp4` (`.MP4`, `.mkv`,
`.webm` also accepted). The mirror: `mcq/test-00000-of-00001.parquet` named by a dataset card
(config `mcq`), videos at `videos/<video_id>.mp4`. Breakdown by temporal aspect: `dim_<dim>`.
"""

from __future__ import annotations

from pathlib import Path

import datasets

from videor2.tasks.common import hub, reference
from videor2.tasks.common.answers import strip_option_prefix
from videor2.tasks.common.docs import answer_letter
from videor2.tasks.common.scoring import AnswerKey
from videor2.tasks.common.spec import Benchmark

HUB_ID = "mmaaz60/tempcompass"
CONFIG = "mcq"
CACHE_NAME = "tempcompass_complete"
SPLIT = "test"
DIMS = ("action", "speed", "direction", "order", "attribute_change")
POST_PROMPT = "\n\nAnswer with the option's letter (e.g., A, B, C, D, etc.) from the given choices directly. "


def load(root: Path | None) -> datasets.Dataset:
    ds, base = hub.load_source(root, HUB_ID, CACHE_NAME, CONFIG, SPLIT)
    return hub.with_video_paths(
        ds, lambda d: hub.resolve_video([base / "videos" / str(d["video_id"])], ("mp4", "MP4", "mkv", "webm")))


def question_text(doc) -> str:
    return doc["question"] + "\n" + "\n".join(doc["options"]) + POST_PROMPT


def answer_key(doc) -> AnswerKey:
    options = [strip_option_prefix(o) for o in doc["options"]]
    return AnswerKey(kind="mc", gt=answer_letter(doc["answer"], options), options=options,
                     question=question_text(doc), category=doc.get("dim"))


def write_fixture(dest: Path, videos: dict[str, Path]) -> None:
    dest = Path(dest)
    rows = [
        dict(video_id="1022234001", uuid="tc-0001", dim="direction",
             question="In which direction is the white square moving?",
             options=["A. From right to left", "B. From left to right", "C. Up and down", "D. It does not move"],
             answer="B", pool="v10s_30fps_portrait"),
        dict(video_id="1006953121", uuid="tc-0002", dim="speed",
             question="How does the speed of the camera movement change over the video?",
             options=["A. It stays constant", "B. It speeds up", "C. It slows down"],
             answer="A", pool="v1s_30fps_16x9"),
        dict(video_id="1112834453", uuid="tc-0003", dim="order",
             question="What is the order in which the colours appear?",
             options=["A. Red then blue", "B. Green then red", "C. Blue then red", "D. Blue then green"],
             answer="C", pool="v10s_25fps_16x9"),
    ]
    for row in rows:
        hub.place(videos[row.pop("pool")], dest / "videos" / f"{row['video_id']}.mp4")
    hub.write_parquet_config(dest, rows, f"{CONFIG}/test-00000-of-00001.parquet", CONFIG, "test")


BENCHMARK = Benchmark(__name__, group="generic", order=3, paper_column="TempCompass", hub_id=HUB_ID, split=SPLIT,
                      reference=reference.leading_letter_rule,
                      breakdown={f"dim_{d}": d for d in DIMS},
                      note=("TempCompass (multi-choice, reference `mcq` set): videor2_acc = micro accuracy; "
                            "dim_<aspect> breakdown."))
globals().update(BENCHMARK.exports())  # the functions the task YAML names
