"""The models as data: one profile per registered name. Adding a model = adding a profile.

Prompt strings are protocol data (REFERENCE.md §1, §3), verbatim. Frame/decoding settings:
`unified` is the Video-R2 paper's protocol for every model (2 FPS, <= 128 frames, 100352..151200
pixels per frame, greedy); `native` is each model's own published setting; `paper` is `unified`
with the reference code's forced frame count (see models/sampler.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from videor2.tasks.common.prompts import SYSTEM_PROMPT

PROTOCOLS = ("unified", "paper", "native")

# Video-R1 / VideoRFT question-type suffixes, appended after the think prompt (verbatim).
R1_SUFFIXES = {
    "mc": " Please provide only the single option letter (e.g., A, B, C, D, etc.) within the <answer> </answer> tags.",
    "numeric": " Please provide the numerical value (e.g., 42 or 3.14) within the <answer> </answer> tags.",
    "regression": " Please provide the numerical value (e.g., 42 or 3.14) within the <answer> </answer> tags.",
    "ocr": " Please transcribe text from the image/video clearly and provide your text answer within the <answer> </answer> tags.",
    "open": " Please provide your text answer within the <answer> </answer> tags.",
}

# VideoChat-R1.5's prompt for perception rounds before the last (verbatim, double space included).
VIDEOCHAT_GLUE_PROMPT = (
    'Answer the question: "[QUESTION]" according to the content of the video. Select the answer from :[OPTION].\n\n'
    "Output your think process within the  <think> </think> tags.\n\n"
    "Then, provide your answer within the <answer> </answer> tags, output the corresponding letter of the option. "
    "At the same time, in the <glue> </glue> tags, present the precise time period in seconds of the video clips on "
    "which you base your answer to this question in the format of [(s1, e1), (s2, e2), ...]. "
    "For example: <think>...</think><answer>A</answer><glue>[(5.2, 10.4)]</glue>."
)

UNIFIED_FRAMES = {"fps": 2.0, "min_frames": 4, "max_frames": 128, "min_pixels": 100352, "max_pixels": 151200}
GREEDY = {"do_sample": False, "temperature": 0.0, "top_p": 1.0}


@dataclass(frozen=True)
class ModelProfile:
    name: str
    hub_id: str
    system_prompt: str = SYSTEM_PROMPT
    suffixes: dict = field(default_factory=dict)       # answer kind -> text appended to the prompt
    native_frames: dict = field(default_factory=lambda: dict(UNIFIED_FRAMES))
    native_decoding: dict = field(default_factory=lambda: dict(GREEDY))
    native_max_new_tokens: int | None = None             # None: the task's value
    perception_rounds: int = 1                           # VideoChat-R1.5 iterative perception
    notes: str = ""

    def frames(self, protocol: str) -> dict:
        if protocol not in PROTOCOLS:
            raise ValueError(f"protocol must be one of {PROTOCOLS}, got {protocol!r}")
        return dict(self.native_frames if protocol == "native" else UNIFIED_FRAMES)

    def decoding(self, protocol: str) -> dict:
        return dict(self.native_decoding if protocol == "native" else GREEDY)

    def suffix(self, kind: str) -> str:
        return self.suffixes.get(kind, "")


PROFILES = {
    p.name: p
    for p in (
        ModelProfile(
            name="video_r2",
            hub_id="MBZUAI/Video-R2",
            notes="Evaluated under the unified protocol; MBZUAI/Video-R2-SFT is the SFT-only checkpoint.",
        ),
        ModelProfile(
            name="qwen2_5_vl_cot",
            hub_id="Qwen/Qwen2.5-VL-7B-Instruct",
            notes="The base model prompted with the think post-prompt (chain-of-thought baseline).",
        ),
        ModelProfile(
            name="video_r1",
            hub_id="Video-R1/Video-R1-7B",
            suffixes=R1_SUFFIXES,
            native_frames={"fps": 2.0, "min_frames": 4, "max_frames": 16, "min_pixels": 3136, "max_pixels": 128 * 28 * 28},
            native_decoding={"do_sample": True, "temperature": 0.1, "top_p": 0.001},
            native_max_new_tokens=1024,
            notes="Native: 16 frames at 128*28*28 px (its eval script; README also shows 32/64 frames, 256*28*28 px).",
        ),
        ModelProfile(
            name="videorft",
            hub_id="QiWang98/VideoRFT",
            suffixes=R1_SUFFIXES,
            native_frames={"fps": 2.0, "min_frames": 4, "max_frames": 32, "min_pixels": 3136, "max_pixels": 256 * 28 * 28},
            native_decoding={"do_sample": True, "temperature": 0.01, "top_p": 0.001},
            native_max_new_tokens=1024,
            notes="Same prompt as Video-R1; native 32 frames at 256*28*28 px.",
        ),
        ModelProfile(
            name="videochat_r1_5",
            hub_id="OpenGVLab/VideoChat-R1_5-7B",
            native_frames={"fps": 2.0, "min_frames": 4, "max_frames": 512, "min_pixels": 3136,
                           "max_pixels": 256 * 28 * 28, "total_pixels": 16384 * 28 * 28},
            native_decoding={},  # the checkpoint's generation_config.json
            native_max_new_tokens=2048,
            notes="Native: 2 fps, 4-512 frames under a total pixel budget; iterative perception "
            "(perception_rounds=N, 2 for VSI-Bench and 3 in its model card).",
        ),
    )
}


def get_profile(name: str) -> ModelProfile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown model profile {name!r}; known: {', '.join(sorted(PROFILES))}") from None
