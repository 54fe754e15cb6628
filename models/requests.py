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

from videor2.models.profiles import VIDEOCHAT_GLUE_PROMPT, ModelProfile
from videor2.models.sampler import SampledVideo, sample_video
from videor2.tasks.common.answers import LETTERS

FRAME_KEYS = ("fps", "min_frames", "max_frames", "min_pixels", "max_pixels", "total_pixels")


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

    def messages(self) -> list[dict]:
        return [
            {"role": "system", "content": [{"type": "text", "text": self.system}]},
            {"role": "user", "content": [{"type": "video", "video": self.video_path}, {"type": "text", "text": self.text}]},
        ]


def prompt_text(request: VideoRequest, processor) -> str:
    """The exact text the model reads (chat template applied, generation prompt opened)."""
    if request.raw_prompt is not None:
        return request.raw_prompt
    return processor.apply_chat_template(request.messages(), tokenize=False, add_generation_prompt=True)


def sampling_settings(profile: ModelProfile, protocol: str, gen_kwargs: dict, overrides: dict) -> dict:
    """Task settings (max_new_tokens), then the protocol's decoding, then explicit model_args."""
    out = {"max_new_tokens": int(gen_kwargs.get("max_new_tokens", 1024))}
    if protocol == "native" and profile.native_max_new_tokens:
        out["max_new_tokens"] = profile.native_max_new_tokens
    # a profile that defers to the checkpoint (empty native decoding) gets its generation_config
    out.update(profile.decoding(protocol) or overrides.get("checkpoint_decoding") or {})
    for key in ("max_new_tokens", "temperature", "top_p", "do_sample"):
        if overrides.get(key) is not None:
            out[key] = overrides[key]
    if out.get("temperature", 0) == 0 and "do_sample" in out:
        out["do_sample"] = False
    return out


def frame_settings(profile: ModelProfile, protocol: str, overrides: dict) -> dict:
    settings = profile.frames(protocol)
    for key in FRAME_KEYS:
        if overrides.get(key) is not None:
            settings[key] = overrides[key]
    return settings


def sample(request: VideoRequest, protocol: str, frames: dict, key_windows=None, backend: str = "auto") -> VideoRequest:
    """Decode the request's frames (raises videor2.errors.VideoError on a bad video)."""
    request.video = sample_video(request.video_path, protocol=protocol, key_windows=key_windows, backend=backend, **frames)
    return request


def build_request(profile: ModelProfile, protocol: str, *, task: str, doc_id, context: str, key: dict,
                  video_path: str, gen_kwargs: dict, overrides: dict, round_index: int = 1,
                  final_round: bool = True) -> VideoRequest:
    """The request for one document (one perception round for iterative models)."""
    if final_round:
        text = context + profile.suffix(key.get("kind", "mc"))
    else:
        text = glue_prompt(key)
    return VideoRequest(task=task, doc_id=doc_id, system=overrides.get("system_prompt") or profile.system_prompt,
                        text=text, video_path=video_path, video=None,
                        sampling=sampling_settings(profile, protocol, gen_kwargs, overrides),
                        kind=key.get("kind", "mc"), round=round_index)


def glue_prompt(key: dict) -> str:
    """VideoChat-R1.5's non-final perception prompt for a document's question and options."""
    options = ", ".join(f"({LETTERS[i]}) {opt}" for i, opt in enumerate(key.get("options") or []))
    return VIDEOCHAT_GLUE_PROMPT.replace("[QUESTION]", key.get("question", "")).replace("[OPTION]", options)


_GLUE = re.compile(r"<\s*glue\s*>(.*?)<\s*/\s*glue\s*>", re.IGNORECASE | re.DOTALL)


def parse_glue(text: str, duration: float | None = None) -> list[tuple[float, float]]:
    """Time windows from the last <glue>[(s, e), ...]</glue> of an output; [] if none or malformed."""
    blocks = _GLUE.findall(text or "")
    if not blocks:
        return []
    try:
        value = ast.literal_eval(blocks[-1].strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return []
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, (int, float)) for v in value):
        value = [value]
    windows = []
    for item in value if isinstance(value, (list, tuple)) else []:
        if isinstance(item, (list, tuple)) and len(item) == 2 and all(isinstance(v, (int, float)) for v in item):
            s, e = sorted(float(v) for v in item)
            if duration is not None:
                s, e = max(0.0, s), min(float(duration), e)
            if e > s:
                windows.append((s, e))
    return windows
