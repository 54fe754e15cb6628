"""SciVideoBench (10-option multiple choice, JoVE lab videos) under the Video-R2 protocol.

Hub (reference fork): mmaaz60/scivideobench, a `datasets.save_to_disk` DatasetDict read with
`load_from_disk`, split `test`; columns used: video_id, question, options ({"A": ..., ..., "J": ...}
or a list), answer (letter), question_type, category. Videos: `videos/jove_<video_id>.mp4` (then
`.MP4`, `.mkv`) under `$HF_HOME/scivideobench` (the fork's cache_dir), or inside the snapshot when
it ships them. Mirror: the same save_to_disk folder at the root + `videos/jove_<id>.mp4`.

Scoring fixes the reference defect: an answer with no option letter is wrong (status
`unparsable`), never a random letter.
"""

from __future__ import annotations

from pathlib import Path

import datasets

from videor2.tasks.common import answers, hub, reference
from videor2.tasks.common.docs import option_lines
from videor2.tasks.common.scoring import AnswerKey
from videor2.tasks.common.spec import Benchmark

HUB_ID = "mmaaz60/scivideobench"
SPLIT = "test"
CACHE_NAME = "scivideobench"
ANSWER_DIRECTLY = "\nAnswer with the option's letter from the given choices directly."


def _disk_dataset(folder: Path) -> datasets.Dataset:
    found = sorted(folder.rglob("dataset_dict.json")) or sorted(folder.rglob("state.json"))
    if not found:
        raise FileNotFoundError(f"no save_to_disk dataset under {folder}")
    loaded = datasets.load_from_disk(str(found[0].parent))
    return loaded[SPLIT] if isinstance(loaded, datasets.DatasetDict) else loaded


def load(root: Path | None = None) -> datasets.Dataset:
    if root is None:
        snap = hub.snapshot(HUB_ID)
        ds = _disk_dataset(snap)
        base = snap / "videos" if (snap / "videos").is_dir() else hub.hf_home() / CACHE_NAME / "videos"
    else:
        ds = _disk_dataset(Path(root))
        base = Path(root) / "videos"
    return hub.with_video_paths(
        ds, lambda d: hub.resolve_video([base / f"jove_{d['video_id']}"], ("mp4", "MP4", "mkv")))


def option_texts(doc) -> list[str]:
    opts = doc["options"]
    if isinstance(opts, dict):
        return [str(opts[k]) for k in sorted(opts) if opts[k] is not None]
    return [str(o) for o in opts]


def question_text(doc) -> str:
    return f"{doc['question']}\n{option_lines(option_texts(doc))}{ANSWER_DIRECTLY}"


def answer_key(doc) -> AnswerKey:
    return AnswerKey(kind="mc", gt=str(doc["answer"]).strip().upper(), options=option_texts(doc),
                     question=question_text(doc), category=doc.get("question_type"))


def _opts(*texts):
    return {answers.LETTERS[i]: t for i, t in enumerate(texts)}


def write_fixture(dest: Path, videos: dict[str, Path]) -> None:
    dest = Path(dest)
    rows = [
        {"video_id": "58231", "question_type": "Quantitative Reasoning", "category": "Biology",
         "video_duration": 45.0,
         "question": "The researcher dilutes 20 uL of stock into a final volume of 200 uL. What is the dilution factor?",
         "options": _opts("2", "5", "10", "20", "50", "100", "200", "0.1", "1", "4"), "answer": "C"},
        {"video_id": "60117", "question_type": "Conceptual Reasoning", "category": "Chemistry",
         "video_duration": 20.0,
         "question": "Why does the experimenter purge the flask with nitrogen before adding the catalyst?",
         "options": _opts("To cool the mixture", "To remove oxygen that would deactivate the catalyst",
                          "To dissolve the solid", "To raise the pressure for the reaction",
                          "To calibrate the balance", "To dry the glassware", "To add a reagent",
                          "To stir the solution", "To measure the pH", "To sterilise the flask"),
         "answer": "B"},
        {"video_id": "61490", "question_type": "Hypothetical Reasoning", "category": "Physics",
         "video_duration": 10.0,
         "question": "If the laser power were doubled, what would happen to the measured photocurrent?",
         "options": _opts("It would halve", "It would stay the same", "It would drop to zero",
                          "It would quadruple", "It would reverse sign", "It would oscillate",
                          "It would double", "It would triple", "It would increase by 10 %",
                          "It cannot be measured"),
         "answer": "G"},
    ]
    for row, vid in zip(rows, ("v45s_24fps_16x9", "v20s_2997fps_4x3", "v10s_25fps_16x9")):
        hub.place(videos[vid], dest / "videos" / f"jove_{row['video_id']}.mp4")
    datasets.DatasetDict({SPLIT: datasets.Dataset.from_list(rows)}).save_to_disk(str(dest / "scivideobench"))


BENCHMARK = Benchmark(__name__, group="reasoning", order=11, paper_column="SciVideoBench", hub_id=HUB_ID, split=SPLIT,
                      reference=reference.scivideobench,
                      note="SciVideoBench: videor2_acc = micro accuracy.")
globals().update(BENCHMARK.exports())  # the functions the task YAML names
