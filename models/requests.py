"""What a model is asked, built once and shared by every backend.

`build_request` turns (profile, protocol, document, lmms-eval context) into a `VideoRequest`:
system prompt, user text, sampled frames and sampling settings. `prompt_text` renders it with
the checkpoint's chat template. The transformers and vLLM backends both consume these objects,
so they send identical prompts and frames (tests compare the two renderings).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from videor2.tasks.registry import BENCHMARKS, benchmark_label
from videor2.models.profiles import (R1_THINK_TEMPLATE, VIDEOCHAT_FINAL_PROMPT, VIDEOCHAT_GLUE_PROMPT,
                                     VIDEOCHAT_MVBENCH_FINAL_PROMPT, VIDEOCHAT_VIDEOMMMU_FINAL_PROMPT,
                                     VIDEOCHAT_VSI_MC_PROMPT, VIDEOCHAT_VSI_NUMERIC_PROMPT, ModelProfile)
from videor2.models.sampler import SampledVideo, sample_video
from videor2.models.variants import direct_text
from videor2.tasks.common.answers import LETTERS
from videor2.tasks.common.scoring import AnswerKey

FRAME_KEYS = ("fps", "min_frames", "max_frames", "min_pixels", "max_pixels", "total_pixels", "stage1_max_frames")


@dataclass
class VideoRequest:
    task: str
    doc_id: int | str
    system: str
    text: str                      # the user turn's text (after the video)
    video_path: str
    video: SampledVideo | None     # None until sampled
    sampling: dict                 # max_new_tokens, do_sample, temperature, top_p
    kind: str = "mc"
    round: int = 1
    meta: dict = field(default_factory=dict)
    raw_prompt: str | None = None  # an already templated prompt (from a log) used verbatim
    text_only: bool = False        # the `text_only` counterfactual: no video block, no frames

    def messages(self) -> list[dict]:
        video = [] if self.text_only else [{"type": "video", "video": self.video_path}]
        return [
            {"role": "system", "content": [{"type": "text", "text": self.system}]},
            {"role": "user", "content": [*video, {"type": "text", "text": self.text}]},
        ]


def prompt_text(request: VideoRequest, processor) -> str:
    """The exact text the model reads (chat template applied, generation prompt opened)."""
    if request.raw_prompt is not None:
        return request.raw_prompt
    return processor.apply_chat_template(request.messages(), tokenize=False, add_generation_prompt=True)


SAMPLING_KEYS = ("do_sample", "temperature", "top_p", "top_k", "repetition_penalty")
# transformers' GenerationConfig defaults: what generate() uses for a value nobody sets
LIBRARY_DECODING = {"do_sample": False, "temperature": 1.0, "top_p": 1.0, "top_k": 50, "repetition_penalty": 1.0}


def sampling_settings(profile: ModelProfile, protocol: str, gen_kwargs: dict, overrides: dict,
                      checkpoint: dict | None = None) -> dict:
    """Every decoding value explicit, so that both backends decode alike.

    In order: the library defaults; the checkpoint's generation_config.json (`checkpoint`: what
    `generate` falls back on for a value the caller leaves unset; not under a native protocol whose
    official code ignores it, i.e. vLLM 0.7); the protocol's explicit values (profile); the task's
    max_new_tokens (a native protocol's own value wins); finally model_args overrides.
    Greedy whenever do_sample is off or the temperature is 0.
    """
    out = dict(LIBRARY_DECODING)
    if profile.uses_generation_config(protocol):
        out.update({k: v for k, v in (checkpoint or {}).items() if k in SAMPLING_KEYS and v is not None})
    out.update(profile.decoding(protocol))
    out["max_new_tokens"] = int(gen_kwargs.get("max_new_tokens", 1024))
    if protocol == "native" and profile.native_max_new_tokens:
        out["max_new_tokens"] = profile.native_max_new_tokens
    for key in ("max_new_tokens", *SAMPLING_KEYS):
        if overrides.get(key) is not None:
            out[key] = overrides[key]
    if not out["do_sample"] or float(out["temperature"] or 0) == 0:
        out["do_sample"] = False
    return out


def frame_settings(profile: ModelProfile, protocol: str, overrides: dict, benchmark: str | None = None) -> dict:
    settings = profile.frames(protocol, benchmark)
    for key in FRAME_KEYS:
        if overrides.get(key) is not None:
            settings[key] = overrides[key]
    return settings


def sample(request: VideoRequest, protocol: str, frames: dict, key_windows=None, backend: str = "auto",
           cache=None) -> VideoRequest:
    """Decode the request's frames (raises videor2.errors.VideoError on a bad video); with `cache`
    (a models.frame_cache.FrameCache), a stored decode of the same file and settings when it has one."""
    decode = sample_video if cache is None else cache.sample_video
    request.video = decode(request.video_path, protocol=protocol, key_windows=key_windows, backend=backend, **frames)
    return request


def scoring_request(profile: ModelProfile, protocol: str, *, context: str, video_path: str, key: AnswerKey | None = None,
                    task: str = "cli", doc_id=0, frames: dict | None = None, max_new_tokens: int | None = None
                    ) -> VideoRequest:
    """One request with its frames decoded, outside an lmms-eval run (attention scoring of a saved
    response, `videor2 vas`, the VAS benchmark): the protocol's frames for the task's benchmark,
    then `frames` overrides. Raises videor2.errors.VideoError on a bad video."""
    request = build_request(profile, protocol, task=task, doc_id=doc_id, context=context,
                            key=key or AnswerKey(kind="mc", gt=None), video_path=video_path,
                            gen_kwargs={} if max_new_tokens is None else {"max_new_tokens": max_new_tokens},
                            overrides={})
    bench = benchmark_label(task)
    settings = frame_settings(profile, protocol, frames or {}, bench if bench in BENCHMARKS else None)
    return sample(request, protocol, settings)


def build_request(profile: ModelProfile, protocol: str, *, task: str, doc_id, context: str, key: AnswerKey,
                  video_path: str, gen_kwargs: dict, overrides: dict, round_index: int = 1,
                  final_round: bool = True, checkpoint: dict | None = None, prompt_mode: str = "think") -> VideoRequest:
    """The request for one document (one perception round for iterative models). `prompt_mode`
    "direct": the last round asks for the answer alone (models.variants.direct_text)."""
    if prompt_mode == "direct" and final_round:
        text = direct_text(context, key.kind, key.question)
    else:
        text = user_text(profile, protocol, task, context, key, final_round)
    return VideoRequest(task=task, doc_id=doc_id, system=overrides.get("system_prompt") or profile.system_prompt,
                        text=text,
                        video_path=video_path, video=None,
                        sampling=sampling_settings(profile, protocol, gen_kwargs, overrides, checkpoint),
                        kind=key.kind, round=round_index)


def user_text(profile: ModelProfile, protocol: str, task: str, context: str, key: AnswerKey, final_round: bool = True) -> str:
    """The user turn's text. paper/unified: the task's own text (question + think post-prompt), for
    every model. native: the model's own evaluation prompt: Video-R1/VideoRFT's template with the
    answer-type suffix; VideoChat-R1.5's per-benchmark templates (glue rounds, then the last)."""
    if protocol != "native" or profile.native_prompt == "task":
        return context
    if profile.native_prompt == "r1":
        question = key.stem or key.question
        if key.kind == "mc" and key.options:
            question += "Options:\n" + "".join(f"{LETTERS[i]}. {o}\n" for i, o in enumerate(key.options))
        return question + "\n" + R1_THINK_TEMPLATE + profile.suffix(key.kind, protocol)
    return videochat_prompt(benchmark_label(task), key, final_round)


# How each VideoChat-R1.5 evaluation script writes the option list into [OPTION]: the options as its
# data stores them ("A. x") or rebuilt as "A.x" (no space); every option ends with a newline.
_VIDEOCHAT_SPACED_OPTIONS = ("videomme", "vsibench")


def videochat_prompt(benchmark: str, key: AnswerKey, final_round: bool) -> str:
    """VideoChat-R1.5's prompt for one round of one benchmark (its src_eval scripts): [QUESTION] is
    the bare question, [OPTION] the option list. VSI-Bench uses its multiple-choice or numeric glue
    template in every round; elsewhere rounds before the last use the glue template and the last
    the benchmark's final template."""
    sep = ". " if benchmark in _VIDEOCHAT_SPACED_OPTIONS else "."
    options = "".join(f"{LETTERS[i]}{sep}{o}\n" for i, o in enumerate(key.options))
    if benchmark == "vsibench":
        template = VIDEOCHAT_VSI_MC_PROMPT if key.kind == "mc" else VIDEOCHAT_VSI_NUMERIC_PROMPT
    elif not final_round:
        template = VIDEOCHAT_GLUE_PROMPT
    else:
        template = {"mvbench": VIDEOCHAT_MVBENCH_FINAL_PROMPT,
                    "videommmu": VIDEOCHAT_VIDEOMMMU_FINAL_PROMPT}.get(benchmark, VIDEOCHAT_FINAL_PROMPT)
    question = key.stem or key.question
    return template.replace("[QUESTION]", question).replace("[OPTION]", options)


_GLUE = re.compile(r"<glue>(.*?)</glue>", re.DOTALL)
NO_GLUE = object()  # parse_glue's result for an output without a <glue> block


def parse_glue(text: str):
    """Key windows from a perception round's output, as VideoChat-R1.5's evaluation reads them:
    the FIRST <glue>...</glue> block evaluated with ast.literal_eval. Returns NO_GLUE when there is
    no block (the caller keeps the previous round's windows), None when the block cannot be read
    (the next round samples uniformly), else the value itself (`sampler.key_window_indices`
    treats anything but a list of (start, end) pairs as no windows)."""
    m = _GLUE.search(text or "")
    if m is None:
        return NO_GLUE
    try:
        return ast.literal_eval(m.group(1))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
