"""The models as data: one profile per registered name. Adding a model = adding a profile.

Three protocols (docs/PROTOCOLS.md has the sources, file and line, and every remaining deviation):

- `paper` (default): the Video-R2 evaluation fork, which produced the paper's numbers, for every
  model: 2 FPS capped at 128 frames, then exactly 128 frames (duplicates for short videos);
  100352-151200 pixels per frame; the task's prompt with the think post-prompt and no answer-type
  suffix; decoding as the fork's adapter for that model calls `generate` (`paper_decoding`), with
  the checkpoint's generation_config.json supplying whatever the adapter leaves unset (e.g.
  repetition_penalty 1.05 for Qwen2.5-VL-7B-Instruct).
- `unified`: the same without duplicated frames (2 FPS, 4-128 frames).
- `native`: each model's own published evaluation settings (`native_*`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from videor2.tasks.common.prompts import SYSTEM_PROMPT

PROTOCOLS = ("paper", "unified", "native")
DEFAULT_PROTOCOL = "paper"

# Video-R1 / VideoRFT question-type suffixes, appended after the think prompt (verbatim).
R1_SUFFIXES = {
    "mc": " Please provide only the single option letter (e.g., A, B, C, D, etc.) within the <answer> </answer> tags.",
    "numeric": " Please provide the numerical value (e.g., 42 or 3.14) within the <answer> </answer> tags.",
    "regression": " Please provide the numerical value (e.g., 42 or 3.14) within the <answer> </answer> tags.",
    "ocr": " Please transcribe text from the image/video clearly and provide your text answer within the <answer> </answer> tags.",
    "open": " Please provide your text answer within the <answer> </answer> tags.",
}
# Video-R1's own evaluation template after the question (verbatim from its eval code: note the
# missing period after "thought expressions", which the fork's post-prompt has).
R1_THINK_TEMPLATE = (
    "Please think about this question as if you were a human pondering deeply. "
    "Engage in an internal dialogue using expressions such as 'let me think', 'wait', 'Hmm', 'oh, I see', "
    "'let's break it down', etc, or other natural language thought expressions "
    "It's encouraged to include self-reflection or verification in the reasoning process. "
    "Provide your detailed reasoning between the <think> and </think> tags, and then give your final answer "
    "between the <answer> and </answer> tags."
)

# VideoChat-R1.5's prompts (verbatim, double spaces included), from its evaluation scripts.
VIDEOCHAT_GLUE_PROMPT = (
    'Answer the question: "[QUESTION]" according to the content of the video. Select the answer from :[OPTION].\n\n'
    "Output your think process within the  <think> </think> tags.\n\n"
    "Then, provide your answer within the <answer> </answer> tags, output the corresponding letter of the option. "
    "At the same time, in the <glue> </glue> tags, present the precise time period in seconds of the video clips on "
    "which you base your answer to this question in the format of [(s1, e1), (s2, e2), ...]. "
    "For example: <think>...</think><answer>A</answer><glue>[(5.2, 10.4)]</glue>.\n"
)
VIDEOCHAT_FINAL_PROMPT = (  # `QA`: the last round of VideoMME, MLVU, LongVideoBench
    'Answer the question: "[QUESTION]" according to the content of the video. Select the answer from :[OPTION].\n\n'
    "Then, provide your answer within the <answer> </answer> tags, output the corresponding letter of the option. "
    "For example: <answer>A</answer>.\n"
)
VIDEOCHAT_MVBENCH_FINAL_PROMPT = (
    'Answer the question: "[QUESTION]" according to the content of the video. Select the answer from :[OPTION]. '
    "The option is: "
)
VIDEOCHAT_VIDEOMMMU_FINAL_PROMPT = (
    'Answer the question: "[QUESTION]" according to the content of the video. Select the answer from :[OPTION].\n\n'
    "Output your think process within the  <think> </think> tags.\n\n"
    "Then, provide your answer within the <answer> </answer> tags, output the corresponding letter of the option. "
    "For example: <think>...</think><answer>A</answer><glue>[(5.2, 10.4)]</glue>.\n"
)
VIDEOCHAT_VSI_MC_PROMPT = (  # every round of VSI-Bench, multiple-choice types
    'Answer the question: "[QUESTION]" according to the content of the video. Select the answer from :[OPTION].\n\n'
    "Provide your answer within the <answer> </answer> tags, output the corresponding letter of the option. "
    "At the same time, in the <glue> </glue> tags, present the precise time period in seconds of the video clips on "
    "which you base your answer to this question in the format of [(s1, e1), (s2, e2)]. "
    "For example: <answer>A</answer><glue>[(5.2, 10.4)]</glue>.\n"
)
VIDEOCHAT_VSI_NUMERIC_PROMPT = (  # every round of VSI-Bench, numeric types
    'Answer the question: "[QUESTION]" according to the content of the video.\n\n'
    "Provide your answer within the <answer> </answer> tags. At the same time, in the <glue> </glue> tags, present "
    "the precise time period in seconds of the video clips on which you base your answer to this question in the "
    "format of [(s1, e1), (s2, e2)]. For example: <answer>2</answer><glue>[(5.2, 10.4)]</glue>.\n"
)

MP = 28 * 28  # pixels of one 28x28 patch
# The fork's run script: 2 FPS, 4..128 frames, max_pixels=151200, min_pixels=100352; its stage-1
# library keeps VIDEO_MAX_PIXELS = 768*28*28.
PAPER_FRAMES = {"fps": 2.0, "min_frames": 4, "max_frames": 128, "min_pixels": 100352, "max_pixels": 151200}
# Decoding of the fork's generic adapter (qwen2_5_vl.py): greedy; the rest from generation_config.
FORK_GREEDY = {"do_sample": False}


@dataclass(frozen=True)
class ModelProfile:
    name: str
    hub_id: str
    system_prompt: str = SYSTEM_PROMPT
    # paper / unified: what the fork's adapter passes to generate (the rest: generation_config.json)
    paper_decoding: dict = field(default_factory=lambda: dict(FORK_GREEDY))
    # native
    native_frames: dict = field(default_factory=lambda: dict(PAPER_FRAMES))
    native_frames_by_benchmark: dict = field(default_factory=dict)  # benchmark -> overrides
    native_decoding: dict = field(default_factory=lambda: dict(FORK_GREEDY))
    native_ignores_generation_config: bool = False  # vLLM 0.7 official evals: checkpoint defaults unused
    native_max_new_tokens: int | None = None         # None: the task's value
    native_prompt: str = "task"                      # "task" | "r1" (template + suffix) | "videochat"
    native_rounds: dict = field(default_factory=dict)  # benchmark -> perception rounds (default 1)
    notes: str = ""

    def frames(self, protocol: str, benchmark: str | None = None) -> dict:
        if protocol not in PROTOCOLS:
            raise ValueError(f"protocol must be one of {PROTOCOLS}, got {protocol!r}")
        if protocol != "native":
            return dict(PAPER_FRAMES)
        return {**self.native_frames, **self.native_frames_by_benchmark.get(benchmark, {})}

    def decoding(self, protocol: str) -> dict:
        """The decoding values the protocol sets explicitly (generation_config fills the rest)."""
        return dict(self.native_decoding if protocol == "native" else self.paper_decoding)

    def uses_generation_config(self, protocol: str) -> bool:
        return not (protocol == "native" and self.native_ignores_generation_config)

    def rounds(self, protocol: str, benchmark: str | None = None) -> int:
        return self.native_rounds.get(benchmark, 1) if protocol == "native" else 1

    def suffix(self, kind: str, protocol: str) -> str:
        return R1_SUFFIXES.get(kind, "") if protocol == "native" and self.native_prompt == "r1" else ""



def _r1_family_native(max_frames: int, pixels: int, temperature: float) -> dict:
    """The native protocol of Video-R1 and VideoRFT (VideoRFT's evaluation is Video-R1's code with its
    own numbers): 2 fps, 4..max_frames frames, every frame at VIDEO_MIN = VIDEO_MAX = `pixels` with no
    max_pixels in the message, the R1 prompt, and vLLM 0.7 SamplingParams, which do not apply the
    checkpoint's generation_config (repetition_penalty 1.05, top_k 1): both vLLM defaults stated."""
    return dict(native_frames={"fps": 2.0, "min_frames": 4, "max_frames": max_frames, "min_pixels": pixels,
                               "max_pixels": None, "video_max_pixels": pixels},
                native_decoding={"do_sample": True, "temperature": temperature, "top_p": 0.001,
                                 "repetition_penalty": 1.0, "top_k": 0},
                native_ignores_generation_config=True, native_max_new_tokens=1024, native_prompt="r1")


PROFILES = {
    p.name: p
    for p in (
        ModelProfile(
            name="video_r2",
            hub_id="MBZUAI/Video-R2",
            notes="The paper's model; its protocol is `paper`. MBZUAI/Video-R2-SFT is the SFT-only checkpoint.",
        ),
        ModelProfile(
            name="qwen2_5_vl_cot",
            hub_id="Qwen/Qwen2.5-VL-7B-Instruct",
            notes="The base model prompted with the think post-prompt (chain-of-thought baseline); native = paper.",
        ),
        ModelProfile(
            name="video_r1",
            hub_id="Video-R1/Video-R1-7B",
            # its vision_process.py: 4..16 frames (FPS_MAX_FRAMES), VIDEO_MIN = VIDEO_MAX = 128*28*28, so
            # frames of 100352..105369 pixels; eval_bench.py: temperature 0.1
            **_r1_family_native(max_frames=16, pixels=128 * MP, temperature=0.1),
            notes="Native: its eval_bench.py (temperature 0.1 in code, 0.01 in its README) and vision_process.py "
                  "defaults, 16 frames; the paper also reports 32/64 (max_num_frames=32).",
        ),
        ModelProfile(
            name="videorft",
            hub_id="QiWang98/VideoRFT",
            # the fork's qwen2_5_vl_videorft.py hard-codes sampling at temperature 0.01, top_p 0.001
            paper_decoding={"do_sample": True, "temperature": 0.01, "top_p": 0.001},
            # its vision_process.py "set ... for Evaluation": up to 32 frames, VIDEO_MIN = VIDEO_MAX = 256*28*28
            **_r1_family_native(max_frames=32, pixels=256 * MP, temperature=0.01),
            notes="Native: README and vision_process.py evaluation values (32 frames max, 256*28*28 px, "
                  "temperature 0.01, top_p 0.001); same prompt as Video-R1.",
        ),
        ModelProfile(
            name="videochat_r1_5",
            hub_id="OpenGVLab/VideoChat-R1_5-7B",
            # the fork's qwen2_5_vl_video_chat_r1.py passes no sampling argument at all
            paper_decoding={},
            # its my_vision_process.py: 2 fps, 4..512 frames, VIDEO_MAX_PIXELS 768*28*28, min 128*28*28,
            # no max_pixels; a total pixel budget per benchmark (its src_eval scripts)
            native_frames={"fps": 2.0, "min_frames": 4, "max_frames": 512, "min_pixels": 128 * MP,
                           "max_pixels": None, "video_max_pixels": 768 * MP, "total_pixels": 128 * 108 * MP},
            native_frames_by_benchmark={
                "vsibench": {"total_pixels": 128 * 16 * MP},
                "videommmu": {"total_pixels": 128 * 12 * MP},
                "mvbench": {"total_pixels": 5120 * MP, "min_pixels": 1280 * MP},
            },
            native_decoding={},
            native_max_new_tokens=2048,
            native_prompt="videochat",
            native_rounds={"vsibench": 2},
            notes="Native: its src_eval scripts (latest version): per-benchmark pixel budgets, iterative "
                  "perception (2 rounds on VSI-Bench, else 1; perception_rounds=N overrides), decoding from the "
                  "checkpoint's generation_config, 2048 new tokens.",
        ),
    )
}


def get_profile(name: str) -> ModelProfile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown model profile {name!r}; known: {', '.join(sorted(PROFILES))}") from None
