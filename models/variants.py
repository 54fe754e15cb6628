"""Counterfactual inputs: what a model sees when the video (or the think prompt) is taken away.

Frame counterfactuals change the CONTENT of already sampled frames and nothing else: the frame
count, size, timestamps and fps stay those of the real sample, so the prompt and its video-token
count and positions are unchanged.

- `blank`: every frame constant mid-grey (128, 128, 128).
- `shuffle`: the frames in a permuted order, seeded by (task, doc_id, seed): the same permutation
  in every run, backend and process.
- `reverse`: the frames in reverse order.
- `static`: the middle frame repeated.
- `text_only`: no video at all (the prompt loses its video block: a different prompt length).

The prompt ablation `direct` keeps the frames and removes the reasoning request: the benchmark's own
question text without the think post-prompt (MMVU: without its extra think sentence too), followed
by an answer-only instruction for the answer kind unless the question text already carries one
(e.g. VideoMME's "Respond with only the letter").
"""

from __future__ import annotations

import dataclasses
import hashlib
import re

import numpy as np

from videor2.models.sampler import SampledVideo
from videor2.tasks.common.prompts import THINK_POST_PROMPT

FRAME_VARIANTS = ("blank", "shuffle", "reverse", "static")
COUNTERFACTUALS = (*FRAME_VARIANTS, "text_only")
PROMPT_MODES = ("think", "direct")
# every variant a diagnose run can add beside the real run, in report order
VARIANTS = (*COUNTERFACTUALS, "direct")
VIDEOLESS = ("blank", "text_only")  # variants without any visual information
GREY = 128


def check_counterfactual(value) -> str | None:
    """The model_arg `counterfactual` (None/''/'none': the real video)."""
    if value in (None, "", "none", "None"):
        return None
    if value not in COUNTERFACTUALS:
        raise ValueError(f"counterfactual must be one of {', '.join(COUNTERFACTUALS)} (or none), got {value!r}")
    return value


def check_prompt_mode(value) -> str:
    value = value or "think"
    if value not in PROMPT_MODES:
        raise ValueError(f"prompt must be one of {', '.join(PROMPT_MODES)}, got {value!r}")
    return value


def shuffle_order(n: int, task: str, doc_id, seed: int = 0) -> list[int]:
    """The frame order of `shuffle` for one document: a permutation of range(n) seeded by a hash of
    (task, doc_id, seed) (Python's hash() is salted per process, so it cannot serve)."""
    digest = hashlib.sha256(f"{task}\x1f{doc_id}\x1f{seed}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little")).permutation(n).tolist()


def frame_order(variant: str, n: int, task: str, doc_id, seed: int = 0) -> list[int] | None:
    """Which sampled frame each output position shows (None for `blank`: no frame)."""
    if variant == "shuffle":
        return shuffle_order(n, task, doc_id, seed)
    if variant == "reverse":
        return list(range(n - 1, -1, -1))
    if variant == "static":
        return [n // 2] * n
    if variant == "blank":
        return None
    raise ValueError(f"not a frame counterfactual: {variant!r}")


def apply_counterfactual(video: SampledVideo, variant: str, *, task: str, doc_id, seed: int = 0
                         ) -> tuple[SampledVideo, dict]:
    """The video with its frame content replaced under `variant`, and what was done (for the log).
    Indices, timestamps, fps and size stay the real sample's: they describe the time grid the model
    is told about, not the pixels."""
    n = len(video.frames)
    order = frame_order(variant, n, task, doc_id, seed)
    if order is None:
        frames = np.full_like(video.frames, GREY)
    else:
        frames = np.ascontiguousarray(video.frames[order])
    info = {"counterfactual": variant}
    if order is not None:
        info["frame_order"] = order
    return dataclasses.replace(video, frames=frames), info


# ---------------------------------------------------------------- the prompt ablation

_THINK_TAILS = (THINK_POST_PROMPT, THINK_POST_PROMPT.lstrip("\n"))
# a question text that already asks for the answer alone (the fork's question texts of VideoMME,
# VideoMathQA, MINERVA, TempCompass, MMVU, SciVideoBench and VSI-Bench numeric items)
_ANSWER_ONLY = re.compile(r"respond with (only )?the letter|answer[^.\n]*\bdirectly\b|single word or phrase|"
                          r"directly output the final answer", re.IGNORECASE)
DIRECT_INSTRUCTIONS = {
    "mc": "Answer with the option's letter from the given choices directly.",
    "numeric": "Please answer the question using a single word or phrase.",
    "open": "Answer the question directly with a single word or phrase.",
}


def direct_text(context: str, kind: str = "mc", question: str | None = None) -> str:
    """The task text of `prompt=direct`: the benchmark's question text (`question`: what the task puts
    before its think post-prompt, e.g. `AnswerKey.question`; else the context without a trailing
    think post-prompt), plus an answer-only instruction where the question text has none."""
    if question and context.startswith(question):
        text = question
    else:
        text = context
        for tail in _THINK_TAILS:
            if text.endswith(tail):
                text = text[: -len(tail)]
                break
    if _ANSWER_ONLY.search(text):
        return text
    return text.rstrip("\n") + "\n" + DIRECT_INSTRUCTIONS.get(kind, DIRECT_INSTRUCTIONS["open"])
