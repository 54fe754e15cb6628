"""VSI-Bench (visual-spatial intelligence) under the Video-R2 protocol.

Hub (reference fork): mmaaz60/VSI_Bench, split `test`; columns used: id, dataset (arkitscenes |
scannet | scannetpp), scene_name, question_type, question, options (["A. ...", ...] or None for
numeric questions), ground_truth (letter, or a number as text). Videos: `$HF_HOME/vsibench/<dataset>/
<scene_name>.mp4`, extracted from the repo's archives as upstream does. Mirror: README `configs:` +
`test.parquet` + `<dataset>/<scene_name>.mp4`.

Scoring: multiple choice by letter; numeric question types by Mean Relative Accuracy (≤ rule,
thresholds 0.50..0.95). Primary `videor2_acc` = mean over the question types present, with the three
object_rel_direction difficulties first averaged into one score (8 scores on the full set), in
percent. Breakdown `type_<question_type>` for each of the 10 types plus `type_object_rel_direction`
(the averaged one); a type with no samples reports None (JSON null, "N/A" in lmms-eval's table).
"""

from __future__ import annotations

from pathlib import Path
from statistics import mean

import datasets

from videor2.tasks.common import answers, hub, reference, scoring
from videor2.tasks.common.scoring import AnswerKey
from videor2.tasks.common.spec import Benchmark

HUB_ID = "mmaaz60/VSI_Bench"
SPLIT = "test"
CACHE_NAME = "vsibench"
PRE_PROMPT = "These are frames of a video."
NA_POST_PROMPT = "Please answer the question using a single word or phrase."

REL_DIRECTION_TYPES = ("object_rel_direction_easy", "object_rel_direction_medium", "object_rel_direction_hard")
MCA_QUESTION_TYPES = REL_DIRECTION_TYPES + ("object_rel_distance", "route_planning", "obj_appearance_order")
NA_QUESTION_TYPES = ("object_abs_distance", "object_counting", "object_size_estimation", "room_size_estimation")
QUESTION_TYPES = MCA_QUESTION_TYPES + NA_QUESTION_TYPES


def load(root: Path | None = None) -> datasets.Dataset:
    ds, base = hub.load_source(root, HUB_ID, CACHE_NAME, None, SPLIT)
    return hub.with_video_paths(ds, lambda d: str((base / d["dataset"] / f"{d['scene_name']}.mp4").absolute()))


def _numeric(doc) -> bool:
    if doc["question_type"] in NA_QUESTION_TYPES:
        return True
    if doc["question_type"] in MCA_QUESTION_TYPES:
        return False
    raise ValueError(f"VSI-Bench: unknown question type {doc['question_type']!r}")


def question_text(doc) -> str:
    if _numeric(doc):
        return f"{PRE_PROMPT}\n{doc['question']}\n{NA_POST_PROMPT}"
    # Reference: pre, question, options and the post-prompt joined by "\n".
    return "\n".join([PRE_PROMPT, doc["question"], "Options:\n" + "\n".join(doc["options"])]) + "\n"


def doc_to_target(doc):
    return doc["ground_truth"]


def answer_key(doc) -> AnswerKey:
    if _numeric(doc):
        return AnswerKey(kind="numeric", gt=float(doc["ground_truth"]), options=[],
                         question=question_text(doc), category=doc["question_type"])
    return AnswerKey(kind="mc", gt=str(doc["ground_truth"]).strip().upper(),
                     options=[answers.strip_option_prefix(o) for o in doc["options"]],
                     question=question_text(doc), category=doc["question_type"],
                     raw_options=[str(o) for o in doc["options"]])


def _type_scores(items, key: str = "score") -> dict[str, float]:
    """Percent score per question type present, relative direction merged into one."""
    per = {}
    for qtype in QUESTION_TYPES:
        scores = [i[key] for i in items if i.get("category") == qtype and i.get(key) is not None]
        if scores:
            per[qtype] = 100.0 * mean(scores)
    rel = [per.pop(t) for t in REL_DIRECTION_TYPES if t in per]
    if rel:
        per["object_rel_direction"] = mean(rel)
    return per


def aggregate_overall(items) -> float:
    per = _type_scores(items)
    return mean(per.values()) if per else 0.0


def aggregate_rel_direction(items):
    return _type_scores(items, scoring.score_key()).get("object_rel_direction")


def write_fixture(dest: Path, videos: dict[str, Path]) -> None:
    dest = Path(dest)
    rows = [
        {"id": 101, "dataset": "scannet", "scene_name": "scene0011_00", "question_type": "object_counting",
         "question": "How many chair(s) are in this room?", "options": None, "ground_truth": "6"},
        {"id": 102, "dataset": "arkitscenes", "scene_name": "41069025", "question_type": "room_size_estimation",
         "question": "What is the size of this room (in square meters)? If multiple rooms are shown, estimate "
                     "the size of the combined space.", "options": None, "ground_truth": "24.5"},
        {"id": 103, "dataset": "scannetpp", "scene_name": "0a7cc12c0e", "question_type": "object_rel_direction_medium",
         "question": "If I am standing by the refrigerator and facing the sofa, is the table to my left, right, "
                     "or back? An object is to my back if I would have to turn at least 135 degrees in order to face it.",
         "options": ["A. left", "B. right", "C. back"], "ground_truth": "B"},
        {"id": 104, "dataset": "scannet", "scene_name": "scene0050_00", "question_type": "obj_appearance_order",
         "question": "What will be the first-time appearance order of the following categories in the video: "
                     "lamp, bed, door, desk?",
         "options": ["A. lamp, bed, door, desk", "B. door, bed, desk, lamp", "C. bed, lamp, desk, door",
                     "D. desk, door, lamp, bed"], "ground_truth": "C"},
    ]
    for row, vid in zip(rows, ("v20s_2997fps_4x3", "empty", "v10s_25fps_16x9", "v1s_30fps_16x9")):
        hub.place(videos[vid], dest / row["dataset"] / f"{row['scene_name']}.mp4")
    features = datasets.Features({
        "id": datasets.Value("int64"), "dataset": datasets.Value("string"), "scene_name": datasets.Value("string"),
        "question_type": datasets.Value("string"), "question": datasets.Value("string"),
        "options": datasets.Sequence(datasets.Value("string")), "ground_truth": datasets.Value("string"),
    })
    hub.write_parquet_config(dest, rows, f"{SPLIT}.parquet", "default", SPLIT, features=features)


BENCHMARK = Benchmark(__name__, group="reasoning", order=9, paper_column="VSIBench", hub_id=HUB_ID, split=SPLIT,
                      reference=reference.vsibench, reference_primary=reference.present_macro,
                      doc_to_target=doc_to_target, breakdown={f"type_{t}": t for t in QUESTION_TYPES},
                      breakdown_own_docs=False, primary=aggregate_overall,
                      extra_metrics={"type_object_rel_direction": aggregate_rel_direction,
                                     "task_overall": reference.vsi_task_overall},
                      note=("VSI-Bench: videor2_acc = mean over the 10 question types (reference: the post-processing "
                            "Overall, MRA over 9 thresholds; robust: 8 entries, relative direction merged, 10 "
                            "thresholds); task_overall = the lmms-eval task's own overall; type_<question_type>."))
globals().update(BENCHMARK.exports())  # the functions the task YAML names
