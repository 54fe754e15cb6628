"""MMVU validation set under the Video-R2 protocol.

Hub (reference fork): mmaaz60/MMVU, split `validation`; columns used: id, question, choices
({"A".."E": text}), answer (letter, or the answer text for open-ended items), question_type
(`multiple-choice` | `open-ended`), video_path (relative, `<...>/<discipline>/<file>.mp4`). Upstream
reads the video at `$HF_HOME/mmvu/<video_path>` after extracting the repo's archives there; `load`
replaces `video_path` by that absolute path (the discipline folder, upstream's category, stays the
parent directory). Mirror: README `configs:` + `data/validation.parquet` + videos at `<video_path>`.

Prompts are the fork's (mmvu_think/utils.py L48-62, L88-97): multiple choice asks for the letter and
carries its own think instructions; open-ended items are asked for a direct answer without thinking.
Open-ended items: the fork defines a GPT judge but never calls it, and its scorer cannot score them
(it looks their answer up among the choices, L260), so the reference scoring leaves them out; the
robust scoring matches them with `answers.open_ended_match` (equal numbers after rounding to 2
decimals, else equal normalised text).
"""

from __future__ import annotations

from pathlib import Path

import datasets

from videor2.tasks.common import hub, reference
from videor2.tasks.common.prompts import THINK_POST_PROMPT
from videor2.tasks.common.scoring import AnswerKey
from videor2.tasks.common.spec import Benchmark

HUB_ID = "mmaaz60/MMVU"
CONFIG = "default"
SPLIT = "validation"
CACHE_NAME = "mmvu"
LETTERS5 = "ABCDE"
MC_TAIL = "Answer directly with the option letter from the given choices. "
MC_ENSURE = (" Ensure to include the thinking process inside <think> and </think> tags and the final answer inside "
             "<answer> and </answer> tags.\n")
OPEN_TAIL = "Visual Information: processed video\nDo not generate any intermediate thinking. Directly output the final answer."


def _is_mc(doc) -> bool:
    return doc["question_type"] == "multiple-choice"


def load(root: Path | None = None) -> datasets.Dataset:
    ds, base = hub.load_source(root, HUB_ID, CACHE_NAME, None, SPLIT)
    return hub.with_video_paths(ds, lambda d: str((base / d["video_path"]).absolute()))


def question_text(doc) -> str:
    if _is_mc(doc):
        c = doc["choices"]
        lines = "".join(f"\n{k}: {c[k]}" for k in LETTERS5)
        return f"\nQuestion:{doc['question']}{lines}\n{MC_TAIL}"
    return f"\nQuestion:{doc['question']}\n{OPEN_TAIL}"


def doc_to_text(doc, lmms_eval_specific_kwargs=None) -> str:
    # The fork's multiple-choice template holds the think post-prompt (without its leading newline)
    # and one more sentence; its open-ended template asks for no thinking and has no post-prompt.
    if _is_mc(doc):
        return question_text(doc) + THINK_POST_PROMPT.lstrip("\n") + MC_ENSURE
    return question_text(doc) + "\n"


def category(doc) -> str | None:
    parts = str(doc.get("video_path") or "").replace("\\", "/").split("/")
    return parts[-2] if len(parts) >= 2 else None


def answer_key(doc) -> AnswerKey:
    if _is_mc(doc):
        return AnswerKey(kind="mc", gt=str(doc["answer"]).strip().upper(),
                         options=[str(doc["choices"][k]) for k in LETTERS5], question=question_text(doc),
                         category=category(doc))
    return AnswerKey(kind="open", gt=str(doc["answer"]).strip(), options=[], question=question_text(doc),
                     category=category(doc))


def write_fixture(dest: Path, videos: dict[str, Path]) -> None:
    dest = Path(dest)
    no_choices = {k: "" for k in LETTERS5}
    rows = [
        {"id": "mmvu_val_0001", "question_type": "multiple-choice", "answer": "D",
         "video_path": "videos/Chemistry/titration_01.mp4",
         "question": "Which indicator colour change marks the end point of the titration shown in the video?",
         "choices": {"A": "Blue to yellow", "B": "Red to green", "C": "Yellow to red",
                     "D": "Colourless to pink", "E": "Green to purple"}},
        {"id": "mmvu_val_0002", "question_type": "multiple-choice", "answer": "A",
         "video_path": "videos/Computer_Science/sorting_02.mp4",
         "question": "Which sorting algorithm is being animated in the video?",
         "choices": {"A": "Insertion sort", "B": "Merge sort", "C": "Quick sort", "D": "Heap sort",
                     "E": "Bubble sort"}},
        {"id": "mmvu_val_0003", "question_type": "open-ended", "answer": "Depth-first search",
         "video_path": "videos/Computer_Science/graph_03.mp4",
         "question": "What graph traversal algorithm does the animation demonstrate?", "choices": no_choices},
    ]
    for row, vid in zip(rows, ("v10s_25fps_16x9", "v3s_24fps_4x3", "v20s_2997fps_4x3")):
        hub.place(videos[vid], dest / row["video_path"])
    hub.write_parquet_config(dest, rows, f"data/{SPLIT}.parquet", CONFIG, SPLIT)


BENCHMARK = Benchmark(__name__, group="reasoning", order=8, paper_column="MMVU-Val", hub_id=HUB_ID, split=SPLIT,
                      reference=reference.mmvu,
                      doc_to_text=doc_to_text,
                      note="MMVU val: videor2_acc = micro accuracy (open-ended items by exact normalised match).")
globals().update(BENCHMARK.exports())  # the functions the task YAML names
