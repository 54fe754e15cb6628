"""MINERVA (5-option multiple choice) under the Video-R2 protocol.

Hub (reference fork): mmaaz60/minerva, config `mcq`, split `test`; the fork reformatted MINERVA into
VideoMathQA's schema: question_id, videoID, question, options (["(A) ...", ... "(E) ..."]), answer
(letter), category, length. Videos: `$HF_HOME/minerva/videos/<videoID>.mp4` (then `.MP4`, `.mkv`,
`.webm`), extracted from the repo's archives as upstream does. Mirror: README `configs:` +
`mcq/test.parquet` + `videos/<videoID>.mp4`. Prompt: the VideoMathQA instruction (docs/BENCHMARKS.md).
"""

from __future__ import annotations

from pathlib import Path

import datasets

from videor2.tasks.common import hub, reference
from videor2.tasks.common.spec import Benchmark
from videor2.tasks.videomathqa import utils as videomathqa

HUB_ID = "mmaaz60/minerva"
CONFIG, SPLIT = videomathqa.CONFIG, videomathqa.SPLIT
CACHE_NAME = "minerva"


def load(root: Path | None = None) -> datasets.Dataset:
    return videomathqa.load_mcq(root, HUB_ID, CACHE_NAME, ("mp4", "MP4", "mkv", "webm"))


def write_fixture(dest: Path, videos: dict[str, Path]) -> None:
    dest = Path(dest)
    rows = [
        {"question_id": "minerva_0001", "videoID": "chess_endgame_lecture", "category": "Chess", "length": "long",
         "question": "After the white rook moves to the seventh rank, which piece does black capture next?",
         "options": ["(A) The white bishop", "(B) The white knight", "(C) The white rook",
                     "(D) The white queen", "(E) A white pawn"], "answer": "E"},
        {"question_id": "minerva_0002", "videoID": "cooking_pasta", "category": "Cooking", "length": "short",
         "question": "How many eggs are cracked into the bowl before the flour is added?",
         "options": ["(A) One", "(B) Two", "(C) Three", "(D) Four", "(E) Five"], "answer": "C"},
        {"question_id": "minerva_0003", "videoID": "physics_pendulum", "category": "Physics", "length": "medium",
         "question": "What happens to the pendulum's period when the presenter doubles the string length?",
         "options": ["(A) It halves", "(B) It stays the same", "(C) It doubles",
                     "(D) It grows by a factor of about 1.41", "(E) It quadruples"], "answer": "D"},
    ]
    for row, vid in zip(rows, ("v10min_2997fps_16x9", "v10s_30fps_portrait", "v45s_24fps_16x9")):
        hub.place(videos[vid], dest / "videos" / f"{row['videoID']}.mp4")
    hub.write_parquet_config(dest, rows, f"{CONFIG}/{SPLIT}.parquet", CONFIG, SPLIT)


BENCHMARK = Benchmark(__name__, group="reasoning", order=10, paper_column="MINERVA", hub_id=HUB_ID, split=SPLIT,
                      reference=reference.first_capital_rule(reference.PREFIXES_JOINED),
                      question_text=videomathqa.mcq_question, answer_key=videomathqa.answer_key,
                      note="MINERVA (5-option multiple choice): videor2_acc = micro accuracy.")
globals().update(BENCHMARK.exports())  # the functions the task YAML names
