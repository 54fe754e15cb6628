"""LongVideoBench val (longvideobench/LongVideoBench, split `validation`), video-only, micro accuracy.

Hub: `lvb_val.json` rows {video_id, question, candidates, correct_choice (int), position,
topic_category, question_category, level, id, video_path (relative file name), subtitle_path,
duration_group, starting_timestamp_for_subtitles, duration, view_count}; upstream reads the options
as `option0`..`option4` ("N/A" past the last). Videos come as tar parts that upstream extracts to
`$HF_HOME/datasets/longvideobench/videos/<video_path>`. The mirror: `lvb_val.json` named by a dataset
card, videos at `videos/<video_path>`. `load` replaces the relative `video_path` by the absolute one
and adds `option0..4` when a source has only `candidates`. Scoring is deterministic: no option
found is wrong (status `unparsable`), never a random letter. Breakdown: `dur_<duration_group>`.
"""

from __future__ import annotations

import json
from pathlib import Path

import datasets

from videor2.tasks.common import hub, reference
from videor2.tasks.common.docs import option_lines
from videor2.tasks.common.scoring import AnswerKey
from videor2.tasks.common.spec import Benchmark

HUB_ID = "longvideobench/LongVideoBench"
CACHE_NAME = "datasets/longvideobench"
SPLIT = "validation"
DURATION_GROUPS = (15, 60, 600, 3600)


def load(root: Path | None) -> datasets.Dataset:
    ds, base = hub.load_source(root, HUB_ID, CACHE_NAME, None, SPLIT)
    if "option0" not in ds.column_names and "candidates" in ds.column_names:
        for i in range(5):
            ds = hub.set_column(ds, f"option{i}", [c[i] if i < len(c) else "N/A" for c in ds["candidates"]])
    return hub.with_video_paths(ds, lambda d: hub.resolve_video([base / "videos" / str(d["video_path"]),
                                                                 base / str(d["video_path"])]))


def options_of(doc) -> list[str]:
    options = []
    for i in range(5):
        option = doc.get(f"option{i}")
        if option is None or option == "N/A":
            break
        options.append(option)
    return options


def question_text(doc) -> str:
    return doc["question"] + "\n" + option_lines(options_of(doc)) + "\n"


def doc_to_target(doc):
    return chr(65 + int(doc["correct_choice"]))


def answer_key(doc) -> AnswerKey:
    return AnswerKey(kind="mc", gt=doc_to_target(doc), options=options_of(doc),
                     question=question_text(doc), category=str(doc.get("duration_group")))


def write_fixture(dest: Path, videos: dict[str, Path]) -> None:
    """3 questions: one on the 10-minute video, one whose video file is missing."""
    dest = Path(dest)
    specs = [
        ("86CxyhFV9MI", "v10min_2997fps_16x9", 600, 527.0, "T3E",
         "After the woman in the red jacket opens the door, what does the man standing by the window pick up?",
         ["A newspaper", "A cup of coffee", "A set of keys", "A phone"], 2),
        ("eH1WjbXlUr8", "v20s_2997fps_4x3", 15, 14.9, "S2O",
         "What is the colour of the square that moves across the screen?",
         ["Black", "White", "Green", "Purple", "Orange"], 1),
        ("Ym3lDq4vkJU", "missing", 60, 48.5, "E2O",
         "When the narrator mentions the bridge, which object is shown in the foreground?",
         ["A bicycle", "A street lamp", "A red car", "A bench"], 3),
    ]
    rows = []
    for i, (vid, pool, group, duration, category, question, candidates, correct) in enumerate(specs):
        hub.place(videos[pool], dest / "videos" / f"{vid}.mp4")
        rows.append(dict(
            video_id=vid, question=question, question_wo_referring_query=question, candidates=candidates,
            correct_choice=correct, position=[i + 1], topic_category="NP-News-Programs", question_category=category,
            level="L2-Relation", id=f"{vid}_{i}", video_path=f"{vid}.mp4", subtitle_path=f"{vid}_en.json",
            duration_group=group, starting_timestamp_for_subtitles=0.0, duration=duration, view_count=1000 * (i + 1),
        ))
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "lvb_val.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")
    hub.write_card(dest, [{"config_name": "default", "data_files": [{"split": "validation", "path": "lvb_val.json"}]}])


BENCHMARK = Benchmark(__name__, group="generic", order=5, paper_column="LongVideoBench", hub_id=HUB_ID, split=SPLIT,
                      reference=reference.longvideobench,
                      doc_to_target=doc_to_target, breakdown={f"dur_{g}": str(g) for g in DURATION_GROUPS},
                      note=("LongVideoBench val (video only): videor2_acc = micro accuracy; dur_<duration_group "
                            "seconds> breakdown."))
globals().update(BENCHMARK.exports())  # the functions the task YAML names
