"""MVBench (OpenGVLab/MVBench, revision `video`): 20 subtasks read as ONE leaf task.

Hub layout: `json/<subtask>.json` (a list of {video, question, candidates, answer[, start, end]},
`answer` being the text of the right candidate) and the videos, which upstream lmms-eval extracts
to `$HF_HOME/mvbench_video/<subtask folder>/<video>` (folders in `DATA_LIST`; clevrer/star ones also
under `data0613/`). The mirror keeps `json/<subtask>.json` and puts videos at
`video/<subtask folder>/<video>`. Score: mean over subtasks of their accuracy (the paper's
MVBench number); one `sub_<subtask>` breakdown metric per subtask present in the data.
"""

from __future__ import annotations

import json
import string
from pathlib import Path

import datasets

from videor2.tasks.common import hub, reference, scoring
from videor2.tasks.common.scoring import AnswerKey
from videor2.tasks.common.spec import Benchmark

HUB_ID = "OpenGVLab/MVBench"
REVISION = "video"
CACHE_NAME = "mvbench_video"  # upstream's dataset_kwargs.cache_dir
SPLIT = "train"  # the hub's split name for every subtask config

# subtask -> video folder (upstream DATA_LIST), in the reference group's order
DATA_LIST = {
    "action_sequence": "star/Charades_segment",
    "moving_count": "clevrer/video_validation",
    "action_prediction": "star/Charades_segment",
    "episodic_reasoning": "tvqa/video_fps3_hq_segment",
    "action_antonym": "ssv2_video_mp4",
    "action_count": "perception/videos",
    "scene_transition": "scene_qa/video",
    "object_shuffle": "perception/videos",
    "object_existence": "clevrer/video_validation",
    "fine_grained_pose": "nturgbd_convert",
    "unexpected_action": "FunQA_test/test",
    "moving_direction": "clevrer/video_validation",
    "state_change": "perception/videos",
    "object_interaction": "star/Charades_segment",
    "character_order": "perception/videos",
    "action_localization": "sta/sta_video_segment",
    "counterfactual_inference": "clevrer/video_validation",
    "fine_grained_action": "Moments_in_Time_Raw/videos",
    "moving_attribute": "clevrer/video_validation",
    "egocentric_navigation": "vlnqa",
}
SUBTASKS = tuple(DATA_LIST)
COLUMNS = ("video", "question", "candidates", "answer", "start", "end")


# ---------------------------------------------------------------- loading

def _video_path(bases: list[Path], subtask: str, video: str) -> str:
    folder = DATA_LIST[subtask]
    candidates = []
    for base in bases:
        candidates += [base / folder / video, base / "data0613" / folder / video]
    return hub.resolve_video(candidates)


def _read(ann_dir: Path, video_bases: list[Path]) -> datasets.Dataset:
    rows = []
    for subtask in SUBTASKS:
        path = ann_dir / f"{subtask}.json"
        if not path.exists():
            continue
        for item in json.loads(path.read_text(encoding="utf-8")):
            row = {k: item.get(k) for k in COLUMNS}
            row["start"] = None if row["start"] is None else float(row["start"])
            row["end"] = None if row["end"] is None else float(row["end"])
            row["subtask"] = subtask
            row["video_path"] = _video_path(video_bases, subtask, str(item["video"]))
            rows.append(row)
    if not rows:
        raise FileNotFoundError(f"MVBench: no json/<subtask>.json under {ann_dir}")
    features = datasets.Features({
        "video": datasets.Value("string"), "question": datasets.Value("string"),
        "candidates": datasets.Sequence(datasets.Value("string")), "answer": datasets.Value("string"),
        "start": datasets.Value("float64"), "end": datasets.Value("float64"),
        "subtask": datasets.Value("string"), "video_path": datasets.Value("string"),
    })
    return datasets.Dataset.from_list(rows, features=features)


def load(root: Path | None) -> datasets.Dataset:
    """All 20 subtasks concatenated, with `subtask` and absolute `video_path` columns."""
    if root is not None:
        root = Path(root).resolve()
        return _read(root / "json", [root / "video", root])
    snap = hub.snapshot(HUB_ID, REVISION)
    videos = hub.video_root(HUB_ID, CACHE_NAME, REVISION)
    return _read(snap / "json", [videos, videos / "video", snap / "video", snap])


# ---------------------------------------------------------------- lmms-eval functions

def question_text(doc) -> str:
    options = "".join(f"({string.ascii_uppercase[i]}) {c}\n" for i, c in enumerate(doc["candidates"]))
    return "Question:" + doc["question"] + "\nOption:\n" + options


def gt_letter(doc) -> str | None:
    for i, c in enumerate(doc["candidates"]):
        if c == doc["answer"]:
            return string.ascii_uppercase[i]
    return None


def doc_to_target(doc):
    return gt_letter(doc) or ""


def answer_key(doc) -> AnswerKey:
    return AnswerKey(kind="mc", gt=gt_letter(doc) or "?", options=list(doc["candidates"]),
                     question=question_text(doc), category=doc["subtask"])


# ---------------------------------------------------------------- fixture

def write_fixture(dest: Path, videos: dict[str, Path]) -> None:
    """3 questions over 3 subtasks; the action_antonym video is the corrupt one."""
    dest = Path(dest)
    data = {
        "action_sequence": [
            ("v10s_25fps_16x9", "3021_AE1FX.mp4", "What happened after the person took the food?",
             ["Ate the medicine.", "Tidied up the blanket.", "Put down the cup/glass/bottle.", "Took the box."],
             "Put down the cup/glass/bottle.", 11.1, 19.6),
        ],
        "moving_count": [
            ("v3s_24fps_4x3", "video_10052.mp4", "How many metal objects are moving when the video ends?",
             ["3", "2", "0", "1"], "2", None, None),
        ],
        "action_antonym": [
            ("corrupt", "166583.webm.mp4", "What is the action performed by the person in the video?",
             ["Piling something up", "Not sure", "Scattering something down"], "Piling something up", None, None),
        ],
    }
    for subtask, items in data.items():
        records = []
        for pool_name, video, question, candidates, answer, start, end in items:
            hub.place(videos[pool_name], dest / "video" / DATA_LIST[subtask] / video)
            rec = {"video": video, "question": question, "candidates": candidates, "answer": answer}
            if start is not None:
                rec.update(start=start, end=end)
            records.append(rec)
        path = dest / "json" / f"{subtask}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(records, indent=1), encoding="utf-8")


BENCHMARK = Benchmark(__name__, group="generic", order=1, paper_column="MVBench", hub_id=HUB_ID, split=SPLIT,
                      reference=reference.mvbench, reference_primary=reference.present_macro,
                      doc_to_target=doc_to_target, breakdown={f"sub_{s}": s for s in SUBTASKS},
                      primary=scoring.macro_accuracy,
                      note=("MVBench: the 20 subtasks as ONE leaf task; videor2_acc = mean of the subtask accuracies; "
                            "sub_<subtask> = one subtask's accuracy (only subtasks present in the data are reported)."))
globals().update(BENCHMARK.exports())  # the functions the task YAML names
