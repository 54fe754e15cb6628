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

from videor2.fixtures import place
from videor2.tasks.common import scoring
from videor2.tasks.common.answers import strip_option_prefix
from videor2.tasks.common.prompts import THINK_POST_PROMPT
from videor2.tasks.mvbench import _hub

HUB_ID = "lmms-lab/Video-MME"
CACHE_NAME = "videomme"
SPLIT = "test"
DURATIONS = ("short", "medium", "long")
YAML_NOTE = "VideoMME (no subtitles): videor2_acc = micro accuracy; dur_<short|medium|long> breakdown."
PRE_PROMPT = (
    "Select the best answer to the following multiple-choice question based on the video and the "
    "subtitles. Respond with only the letter (A, B, C, or D) of the correct option."
)


def _video_path(base: Path, video_id: str) -> str:
    return _hub.first_existing([base / "data" / f"{video_id}.{ext}" for ext in ("mp4", "MP4", "mkv")])


def _with_paths(ds: datasets.Dataset, base: Path) -> datasets.Dataset:
    return _hub.add_column(ds, "video_path", [_video_path(base, v) for v in ds["videoID"]])


def load(root: Path | None) -> datasets.Dataset:
    if root is not None:
        root = Path(root).resolve()
        return _with_paths(_hub.load_split(root, None, SPLIT), root)
    return _with_paths(_hub.load_split(HUB_ID, None, SPLIT), _hub.video_root(HUB_ID, CACHE_NAME))


def doc_to_visual(doc):
    return [doc["video_path"]]


def question_text(doc) -> str:
    return PRE_PROMPT + "\n" + doc["question"] + "\n" + "\n".join(doc["options"]) + "\n"


def doc_to_text(doc, lmms_eval_specific_kwargs=None):
    return question_text(doc) + THINK_POST_PROMPT


def doc_to_target(doc):
    return doc["answer"]


def answer_key(doc) -> dict:
    return {"kind": "mc", "gt": str(doc["answer"]).strip().upper(),
            "options": [strip_option_prefix(o) for o in doc["options"]],
            "question": question_text(doc), "category": doc.get("duration")}


BREAKDOWN = {f"dur_{d}": d for d in DURATIONS}
METRICS = [scoring.PRIMARY_METRIC, scoring.ERROR_METRIC, *BREAKDOWN]
_process_all = scoring.process_results_for(answer_key, METRICS)


def process_results(doc, results):
    """Primary, errors and the doc's own duration breakdown (absent durations are not reported)."""
    out = _process_all(doc, results)
    own = f"dur_{doc.get('duration')}"
    return {k: v for k, v in out.items() if k not in BREAKDOWN or k == own}


aggregate_acc = scoring.micro_accuracy
aggregate_errors = scoring.error_count
for _name, _cat in BREAKDOWN.items():
    globals()[f"aggregate_{_name}"] = scoring.category_accuracy(_cat)


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
        place(videos[row.pop("pool")], dest / "data" / f"{row['videoID']}.mp4")
    _hub.write_parquet(rows, dest / "videomme" / "test-00000-of-00001.parquet")
    _hub.write_card(dest, [{"config_name": "default",
                            "data_files": [{"split": "test", "path": "videomme/test-00000-of-00001.parquet"}]}])
