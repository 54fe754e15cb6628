"""VideoMME (lmms-lab/Video-MME, split `test`), without subtitles, micro accuracy.

Hub layout: `videomme/test-00000-of-00001.parquet` (columns video_id, duration, domain,
sub_category, url, videoID, question_id, task_type, question, options ["A. ...", ...], answer
letter) and zipped videos that upstream extracts to `$HF_HOME/videomme/data/<videoID>.mp4`
(`.MP4` / `.mkv` also accepted). The mirror keeps the parquet (with a dataset card naming it) and
puts videos at `data/<videoID>.mp4`. Breakdown: `dur_<short|medium|long>`.
"""

from __future__ import annotations

from pathlib import Path

import datasets

from videor2.tasks.common import hub, reference
from videor2.tasks.common.answers import strip_option_prefix
from videor2.tasks.common.scoring import AnswerKey
from videor2.tasks.common.spec import Benchmark

HUB_ID = "lmms-lab/Video-MME"
CACHE_NAME = "videomme"
SPLIT = "test"
DURATIONS = ("short", "medium", "long")
PRE_PROMPT = (
    "Select the best answer to the following multiple-choice question based on the video and the "
    "subtitles. Respond with only the letter (A, B, C, or D) of the correct option."
)


def load(root: Path | None) -> datasets.Dataset:
    ds, base = hub.load_source(root, HUB_ID, CACHE_NAME, None, SPLIT)
    return hub.with_video_paths(ds, lambda d: hub.resolve_video([base / "data" / d["videoID"]], ("mp4", "MP4", "mkv")))


def question_text(doc) -> str:
    return PRE_PROMPT + "\n" + doc["question"] + "\n" + "\n".join(doc["options"]) + "\n"


def answer_key(doc) -> AnswerKey:
    return AnswerKey(kind="mc", gt=str(doc["answer"]).strip().upper(),
                     options=[strip_option_prefix(o) for o in doc["options"]],
                     question=question_text(doc), category=doc.get("duration"))


def write_fixture(dest: Path, videos: dict[str, Path]) -> None:
    """3 questions; the long one uses the 10-minute video."""
    dest = Path(dest)
    rows = [
        dict(video_id="001", duration="short", domain="Knowledge", sub_category="Humanity & History",
             url="https://www.youtube.com/watch?v=fFjv93ACGo8", videoID="fFjv93ACGo8", question_id="001-1",
             task_type="Counting Problem",
             question="When demonstrating the Germany modern Christmas tree is initially decorated with apples, candles and berries, which kind of the decoration has the largest number?",
             options=["A. Apples.", "B. Candles.", "C. Berries.", "D. The three kinds are of the same number."],
             answer="C", pool="v45s_24fps_16x9"),
        dict(video_id="301", duration="medium", domain="Sports Competition", sub_category="Football",
             url="https://www.youtube.com/watch?v=Kx3dWq0dQeA", videoID="Kx3dWq0dQeA", question_id="301-2",
             task_type="Action Recognition",
             question="What does the goalkeeper do right after the second shot on goal?",
             options=["A. He catches the ball and throws it to a defender.", "B. He punches the ball over the bar.",
                      "C. He lets the ball through and argues with the referee.", "D. He kicks the ball up the pitch."],
             answer="A", pool="v20s_2997fps_4x3"),
        dict(video_id="601", duration="long", domain="Film & Television", sub_category="Documentary",
             url="https://www.youtube.com/watch?v=Qn8ZyLQ5lGk", videoID="Qn8ZyLQ5lGk", question_id="601-3",
             task_type="Temporal Reasoning",
             question="In what order does the documentary present the three expeditions?",
             options=["A. Arctic, desert, jungle.", "B. Desert, jungle, Arctic.", "C. Jungle, Arctic, desert.",
                      "D. Desert, Arctic, jungle."],
             answer="D", pool="v10min_2997fps_16x9"),
    ]
    for row in rows:
        hub.place(videos[row.pop("pool")], dest / "data" / f"{row['videoID']}.mp4")
    hub.write_parquet_config(dest, rows, "videomme/test-00000-of-00001.parquet", "default", "test")


BENCHMARK = Benchmark(__name__, group="generic", order=2, paper_column="VideoMME", hub_id=HUB_ID, split=SPLIT,
                      reference=reference.videomme,
                      breakdown={f"dur_{d}": d for d in DURATIONS},
                      note=("VideoMME (no subtitles): videor2_acc = micro accuracy; dur_<short|medium|long> "
                            "breakdown."))
globals().update(BENCHMARK.exports())  # the functions the task YAML names
