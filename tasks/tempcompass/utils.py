"""TempCompass as the Video-R2 reference runs it (`tempcompass_complete_think`): the multiple-choice
set of mmaaz60/tempcompass (config `mcq`, split `test`), micro accuracy.

Hub: rows {video_id, question, options ["A. ...", ...], answer (letter), uuid, dim}; videos that
upstream extracts to `$HF_HOME/tempcompass_complete/videos/<video_id>.mp4` (`.MP4`, `.mkv`,
`.webm` also accepted). The mirror: `mcq/test-00000-of-00001.parquet` named by a dataset card
(config `mcq`), videos at `videos/<video_id>.mp4`. Breakdown by temporal aspect: `dim_<dim>`.
"""

from __future__ import annotations

import re
from pathlib import Path

import datasets

from videor2.fixtures import place
from videor2.tasks.common import scoring
from videor2.tasks.common.answers import option_by_text, strip_option_prefix
from videor2.tasks.common.prompts import THINK_POST_PROMPT
from videor2.tasks.mvbench import _hub

HUB_ID = "mmaaz60/tempcompass"
CONFIG = "mcq"
CACHE_NAME = "tempcompass_complete"
SPLIT = "test"
DIMS = ("action", "speed", "direction", "order", "attribute_change")
YAML_NOTE = "TempCompass (multi-choice, reference `mcq` set): videor2_acc = micro accuracy; dim_<aspect> breakdown."
POST_PROMPT = "\n\nAnswer with the option's letter (e.g., A, B, C, D, etc.) from the given choices directly. "


def _video_path(base: Path, video_id: str) -> str:
    return _hub.first_existing([base / "videos" / f"{video_id}.{e}" for e in ("mp4", "MP4", "mkv", "webm")])


def _with_paths(ds: datasets.Dataset, base: Path) -> datasets.Dataset:
    return _hub.add_column(ds, "video_path", [_video_path(base, str(v)) for v in ds["video_id"]])


def load(root: Path | None) -> datasets.Dataset:
    if root is not None:
        root = Path(root).resolve()
        return _with_paths(_hub.load_split(root, CONFIG, SPLIT), root)
    return _with_paths(_hub.load_split(HUB_ID, CONFIG, SPLIT), _hub.video_root(HUB_ID, CACHE_NAME))


def doc_to_visual(doc):
    return [doc["video_path"]]


def question_text(doc) -> str:
    return doc["question"] + "\n" + "\n".join(doc["options"]) + POST_PROMPT


def doc_to_text(doc, lmms_eval_specific_kwargs=None):
    return question_text(doc) + THINK_POST_PROMPT


def doc_to_target(doc):
    return doc["answer"]


def _gt(doc, options: list[str]) -> str:
    answer = str(doc["answer"]).strip()
    m = re.match(r"^\(?([A-Z])(?:$|[\.\):\s])", answer)
    if m:
        return m.group(1)
    return option_by_text(answer, options) or "?"


def answer_key(doc) -> dict:
    options = [strip_option_prefix(o) for o in doc["options"]]
    return {"kind": "mc", "gt": _gt(doc, options), "options": options,
            "question": question_text(doc), "category": doc.get("dim")}


BREAKDOWN = {f"dim_{d}": d for d in DIMS}
METRICS = [scoring.PRIMARY_METRIC, scoring.ERROR_METRIC, *BREAKDOWN]
_process_all = scoring.process_results_for(answer_key, METRICS)


def process_results(doc, results):
    """Primary, errors and the doc's own `dim_<aspect>` (aspects absent from the data are omitted)."""
    out = _process_all(doc, results)
    own = f"dim_{doc.get('dim')}"
    return {k: v for k, v in out.items() if k not in BREAKDOWN or k == own}


aggregate_acc = scoring.micro_accuracy
aggregate_errors = scoring.error_count
for _name, _cat in BREAKDOWN.items():
    globals()[f"aggregate_{_name}"] = scoring.category_accuracy(_cat)


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
        place(videos[row.pop("pool")], dest / "videos" / f"{row['video_id']}.mp4")
    _hub.write_parquet(rows, dest / CONFIG / "test-00000-of-00001.parquet")
    _hub.write_card(dest, [{"config_name": CONFIG,
                            "data_files": [{"split": "test", "path": f"{CONFIG}/test-00000-of-00001.parquet"}]}])
