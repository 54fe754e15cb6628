"""The transformers and vLLM backends receive identical inputs and decoding for every model and
protocol; vLLM errors; <glue> parsing as VideoChat-R1.5's evaluation does it; sampling precedence. CPU only: vLLM is replaced by a recording stand-in module, so
VLLMBackend's real __init__/generate run and what they would hand to vLLM is compared with what
TransformersBackend hands to the processor and to generate()."""

from __future__ import annotations

import copy
import dataclasses
import os
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from videor2.models import requests as rq
from videor2.models.adapter import checkpoint_decoding
from videor2.models.profiles import PROFILES, PROTOCOLS, get_profile
from videor2.models.sampler import key_window_indices, uniform_indices
from videor2.models.vllm_backend import VLLMBackend, sampling_params_dict
from videor2.tasks.common.scoring import AnswerKey

CONTEXT = "Question: What does the person do first?\nOptions:\n(A) sits\n(B) runs\n(C) jumps\n(D) waves"
KEY = AnswerKey(kind="mc", gt="A", question="What does the person do first?", options=["sits", "runs", "jumps", "waves"])


# ------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def tiny_dir() -> str:
    from videor2.models.tiny import default_tiny_model

    return str(default_tiny_model())


@pytest.fixture(scope="module")
def hf(tiny_dir):
    from videor2.models.hf_backend import TransformersBackend

    return TransformersBackend(tiny_dir, device="cpu")


@pytest.fixture(scope="module")
def video_path() -> str:
    from videor2.fixtures import build_pool

    pool = Path(os.environ["VIDEOR2_TEST_POOL"])  # set by conftest.pytest_configure
    return str(build_pool(pool)["v3s_24fps_4x3"])


class _FakeLLM:
    def __init__(self, **kwargs):
        self.init_kwargs = kwargs
        self.calls = []

    def generate(self, inputs, params, use_tqdm=False):
        self.calls.append((inputs, params))
        out = types.SimpleNamespace(text="<answer>A</answer>", token_ids=[1, 2], finish_reason="stop")
        return [types.SimpleNamespace(outputs=[out]) for _ in inputs]


class _FakeSamplingParams:
    def __init__(self, **kwargs):
        self.kwargs = kwargs


@pytest.fixture
def fake_vllm(monkeypatch):
    module = types.ModuleType("vllm")
    module.LLM, module.SamplingParams = _FakeLLM, _FakeSamplingParams
    monkeypatch.setitem(sys.modules, "vllm", module)
    return module


@pytest.fixture
def no_vllm(monkeypatch):
    monkeypatch.setitem(sys.modules, "vllm", None)  # `import vllm` raises ImportError


class _ProcessorSpy:
    """Records the keyword arguments of processor(...) calls; everything else passes through."""

    def __init__(self, inner):
        self.inner, self.calls = inner, []

    def __call__(self, *args, **kwargs):
        # snapshot the lists: the Qwen processor expands <|video_pad|> in the `text` list in place
        self.calls.append({k: list(v) if isinstance(v, list) else v for k, v in kwargs.items()})
        return self.inner(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.inner, name)


_SAMPLED: dict = {}


def _request(profile_name: str, protocol: str, video_path: str, gen_kwargs=None, overrides=None, checkpoint=None):
    """A request built and sampled exactly as ReasoningVideoLM._answer does (frames capped at 8)."""
    profile = get_profile(profile_name)
    overrides = {"max_frames": 8, **(overrides or {})}
    r = rq.build_request(profile, protocol, task="videor2_videomme", doc_id=0, context=CONTEXT, key=KEY,
                         video_path=video_path, gen_kwargs=gen_kwargs or {"max_new_tokens": 256}, overrides=overrides,
                         checkpoint=checkpoint)
    frames = rq.frame_settings(profile, protocol, overrides, "videomme")
    cache_key = (protocol, tuple(sorted(frames.items())))
    if cache_key not in _SAMPLED:
        _SAMPLED[cache_key] = rq.sample(r, protocol, frames).video
    r.video = _SAMPLED[cache_key]
    return r


def _effective_hf(hf_backend, sampling: dict) -> object:
    """The GenerationConfig model.generate() ends up using: the checkpoint's, updated by our kwargs."""
    config = copy.deepcopy(hf_backend.model.generation_config)
    config.update(**hf_backend.generation_kwargs(sampling))
    return config


CASES = [(p, proto) for p in sorted(PROFILES) for proto in PROTOCOLS]


# ------------------------------------------------------------- (a) identical backend inputs


@pytest.mark.parametrize("profile_name, protocol", CASES)
def test_vllm_and_transformers_receive_identical_inputs(hf, tiny_dir, video_path, fake_vllm, monkeypatch,
                                                         profile_name, protocol):
    r = _request(profile_name, protocol, video_path, checkpoint=checkpoint_decoding(tiny_dir))
    assert r.video is not None and len(r.video.indices) >= 2

    # vLLM: the real backend, with a recording LLM
    vb = VLLMBackend(tiny_dir)
    vb.generate([r])
    (sent, params), = vb.llm.calls
    (vin,) = sent
    assert vb.llm.init_kwargs["model"] == tiny_dir and vb.llm.init_kwargs["limit_mm_per_prompt"] == {"video": 1}

    # transformers: what reaches the processor
    spy = _ProcessorSpy(hf.processor)
    monkeypatch.setattr(hf, "processor", spy)
    batch = hf.inputs([r])
    (call,) = spy.calls

    # same prompt text, and it is the one prompt_text renders
    assert call["text"] == [vin["prompt"]]
    assert vin["prompt"] == hf.prompt(r) == rq.prompt_text(r, hf.processor)
    assert vin["prompt"].startswith(f"<|im_start|>system\n{r.system}<|im_end|>\n<|im_start|>user\n"
                                    "<|vision_start|><|video_pad|><|vision_end|>")
    assert vin["prompt"].endswith(r.text + "<|im_end|>\n<|im_start|>assistant\n")
    # same frames: the very array the sampler produced, identical content
    (hf_frames,) = call["videos"]
    v_frames = vin["multi_modal_data"]["video"]
    assert hf_frames is r.video.frames and v_frames is r.video.frames
    assert np.array_equal(hf_frames, v_frames) and hf_frames.dtype == v_frames.dtype == np.uint8
    assert v_frames.shape == (len(r.video.indices), *r.video.size, 3)
    # same fps, hence the same temporal spacing (second_per_grid_ts = temporal_patch_size / fps)
    assert call["fps"] == [vin["mm_processor_kwargs"]["fps"]] == [r.video.sample_fps]
    assert set(vin) == {"prompt", "multi_modal_data", "mm_processor_kwargs"}
    assert set(vin["mm_processor_kwargs"]) == {"fps"}
    tps = hf.processor.video_processor.temporal_patch_size if hasattr(hf.processor, "video_processor") \
        else hf.processor.image_processor.temporal_patch_size
    assert list(np.asarray(batch["second_per_grid_ts"], dtype=float)) == pytest.approx([tps / r.video.sample_fps])
    # the prompt's single <|video_pad|> expands to the video's tokens
    merge = hf.processor.image_processor.merge_size ** 2
    n_video_tokens = int((batch["input_ids"] == hf.video_token_id).sum())
    assert n_video_tokens == int(batch["video_grid_thw"].prod()) // merge

    # decoding: greedy vs sampling, temperature, top_p, max tokens, stop ids
    vp = params.kwargs
    assert vp == sampling_params_dict(r.sampling, vb.stop_ids, vb.seed)
    hk = hf.generation_kwargs(r.sampling)
    eff = _effective_hf(hf, r.sampling)
    assert vp["max_tokens"] == hk["max_new_tokens"] == r.sampling["max_new_tokens"]
    assert vp["stop_token_ids"] == hk["eos_token_id"] == hf.stop_ids == vb.stop_ids
    tok = hf.processor.tokenizer
    assert tok.convert_tokens_to_ids("<|im_end|>") in vp["stop_token_ids"]
    vllm_greedy = vp["temperature"] == 0.0
    assert vllm_greedy == (not eff.do_sample), (r.sampling, hk)
    assert vp["repetition_penalty"] == pytest.approx(eff.repetition_penalty)
    if not vllm_greedy:
        assert vp["temperature"] == pytest.approx(eff.temperature)
        assert vp["top_p"] == pytest.approx(eff.top_p)
        assert (vp["top_k"] if vp["top_k"] > 0 else 0) == (eff.top_k or 0)
    # and it is what the protocol prescribes for this model (table below)
    assert {k: r.sampling[k] for k in EXPECTED[(profile_name, protocol)]} == EXPECTED[(profile_name, protocol)]


def test_batched_transformers_inputs_keep_each_requests_prompt_frames_and_fps(hf, video_path, monkeypatch):
    reqs = [_request("video_r1", "native", video_path), _request("video_r2", "unified", video_path,
                                                                 overrides={"max_frames": 4})]
    spy = _ProcessorSpy(hf.processor)
    monkeypatch.setattr(hf, "processor", spy)
    hf.inputs(reqs)
    (call,) = spy.calls
    assert call["text"] == [rq.prompt_text(r, hf.processor) for r in reqs]
    assert all(a is r.video.frames for a, r in zip(call["videos"], reqs))
    assert call["fps"] == [r.video.sample_fps for r in reqs]
    assert hf.processor.tokenizer.padding_side == "left"


# What each model decodes with, per protocol, given the tiny checkpoint's generation_config.json
# (Qwen2.5-VL-7B-Instruct's: do_sample, temperature 0.1, top_p 0.001, top_k 1, repetition_penalty 1.05).
_GREEDY_GC = {"do_sample": False, "repetition_penalty": 1.05}
_GC_SAMPLING = {"do_sample": True, "temperature": 0.1, "top_p": 0.001, "top_k": 1, "repetition_penalty": 1.05}
EXPECTED = {
    # the fork's qwen2_5_vl.py: greedy; generation_config's repetition penalty still applies
    **{(m, p): _GREEDY_GC for m in ("video_r2", "qwen2_5_vl_cot", "video_r1") for p in ("paper", "unified")},
    **{(m, "native"): _GREEDY_GC for m in ("video_r2", "qwen2_5_vl_cot")},
    # the fork's qwen2_5_vl_videorft.py: sampling at 0.01 / 0.001; top_k and the penalty from the checkpoint
    **{("videorft", p): {"do_sample": True, "temperature": 0.01, "top_p": 0.001, "top_k": 1, "repetition_penalty": 1.05}
       for p in ("paper", "unified")},
    # the fork's qwen2_5_vl_video_chat_r1.py and VideoChat-R1.5's own eval: all from generation_config
    **{("videochat_r1_5", p): _GC_SAMPLING for p in PROTOCOLS},
    # Video-R1 / VideoRFT official evals: vLLM 0.7 SamplingParams, generation_config not applied
    ("video_r1", "native"): {"do_sample": True, "temperature": 0.1, "top_p": 0.001, "top_k": 0, "repetition_penalty": 1.0},
    ("videorft", "native"): {"do_sample": True, "temperature": 0.01, "top_p": 0.001, "top_k": 0, "repetition_penalty": 1.0},
}


def test_the_checkpoint_generation_config_is_read(tiny_dir):
    assert checkpoint_decoding(tiny_dir) == {"do_sample": True, "temperature": 0.1, "top_p": 0.001, "top_k": 1,
                                             "repetition_penalty": 1.05}


def test_adapter_hands_the_checkpoint_decoding_to_its_requests(tiny_dir, tmp_path):
    from videor2.models.adapter import VideoR2, VideoRFT

    assert VideoR2(pretrained=tiny_dir, log_dir=str(tmp_path)).checkpoint_sampling["repetition_penalty"] == 1.05
    rft = VideoRFT(pretrained=tiny_dir, log_dir=str(tmp_path), protocol="native")
    r = rq.build_request(rft.profile, rft.protocol, task="videor2_videomme", doc_id=0, context=CONTEXT, key=KEY,
                         video_path="x.mp4", gen_kwargs={}, overrides=rft.overrides, checkpoint=rft.checkpoint_sampling)
    assert r.sampling["repetition_penalty"] == 1.0 and r.sampling["temperature"] == 0.01


def test_paper_protocol_refuses_perception_rounds(tiny_dir, tmp_path):
    from videor2.models.adapter import VideoChatR15

    with pytest.raises(ValueError, match="not part of the paper protocol"):
        VideoChatR15(pretrained=tiny_dir, log_dir=str(tmp_path), perception_rounds=2)


# ------------------------------------------------------------------------- (b), (c) vLLM errors


def test_vllm_backend_without_vllm_names_the_gpu_extra(no_vllm, tiny_dir):
    with pytest.raises(ImportError, match=r"\[gpu\]") as info:
        VLLMBackend(tiny_dir)
    assert "backend=hf" in str(info.value)


def test_adapter_vllm_without_vllm_names_the_gpu_extra(no_vllm, tiny_dir, tmp_path):
    from videor2.models.adapter import VideoR2

    with pytest.raises(ImportError, match=r"\[gpu\]"):
        VideoR2(pretrained=tiny_dir, backend="vllm", log_dir=str(tmp_path))


@pytest.mark.parametrize("vllm_state", ["absent", "present"])
def test_adapter_vllm_with_record_attention_is_a_clear_value_error(request, tiny_dir, tmp_path, vllm_state):
    # raised before any vLLM import or engine start: the same error whether or not vLLM is installed
    request.getfixturevalue("no_vllm" if vllm_state == "absent" else "fake_vllm")
    from videor2.models.adapter import VideoR2

    with pytest.raises(ValueError, match="record_attention needs backend=hf") as info:
        VideoR2(pretrained=tiny_dir, backend="vllm", record_attention="true", log_dir=str(tmp_path))
    assert "vLLM" in str(info.value)


def test_adapter_rejects_an_unknown_backend(tiny_dir, tmp_path):
    from videor2.models.adapter import VideoR2

    with pytest.raises(ValueError, match="backend must be hf or vllm"):
        VideoR2(pretrained=tiny_dir, backend="tensorrt", log_dir=str(tmp_path))


# ------------------------------------------------------------------------------- (d) parse_glue
# VideoChat-R1.5's evaluation: re.search(r'<glue>(.*?)</glue>', ans, re.DOTALL) then ast.literal_eval;
# no block: keep the previous round's windows; an unreadable block: no windows (uniform sampling).


@pytest.mark.parametrize(
    "text, expected",
    [
        ("<think>x</think><answer>A</answer><glue>[(5.2, 10.4)]</glue>", [(5.2, 10.4)]),
        ("<glue>[(1, 2), (4.5, 6)]</glue>", [(1, 2), (4.5, 6)]),
        ("<glue>[(1, 2)]</glue> then <glue>[(3, 4)]</glue>", [(1, 2)]),  # the FIRST block
        ("<glue>\n[(1, 2)]\n</glue>", [(1, 2)]),
        ("<glue>(1, 2)</glue>", (1, 2)),          # a bare pair is read as it is (the sampler then falls back)
        ("<glue>[(6, 2)]</glue>", [(6, 2)]),        # reversed: read; the sampler drops it
        ("<glue>[]</glue>", []),
        ("<glue>5.2 to 10.4 seconds</glue>", None),
        ("<glue>__import__('os').system('true')</glue>", None),  # never evaluated
        ("<glue>[(1, 2)</glue>", None),
        ("<glue></glue>", None),
        ("<glue>" + "[" * 500 + "]" * 500 + "</glue>", None),
        ("< GLUE >[(1, 2)]</ glue >", rq.NO_GLUE),  # only the exact lowercase tags count
        ("<glue>[(1, 2)]", rq.NO_GLUE),               # unclosed
        ("no tags at all [(1, 2)]", rq.NO_GLUE),
        ("", rq.NO_GLUE),
        (None, rq.NO_GLUE),
    ],
)
def test_parse_glue_as_the_official_evaluation(text, expected):
    got = rq.parse_glue(text)
    assert got is expected if expected is rq.NO_GLUE or expected is None else got == expected


_number = st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True))
_windows_text = st.lists(st.tuples(_number, _number), max_size=6).map(repr)
_glue_text = st.one_of(st.text(max_size=200), _windows_text).map(lambda s: f"<glue>{s}</glue>")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=300), _glue_text,
                 st.tuples(st.text(max_size=50), _glue_text, st.text(max_size=50)).map("".join)),
       st.integers(2, 5000), st.floats(1.0, 60.0))
def test_any_glue_gives_valid_frame_indices(text, total, fps):
    """Whatever a model writes in <glue>, the next round gets sorted, distinct, in-range frames."""
    windows = rq.parse_glue(text)
    if windows is rq.NO_GLUE:
        windows = None
    n = min(max(2, total // 15 * 2), 32, total)
    idx = key_window_indices(total, fps, n, windows) if windows is not None else uniform_indices(total, n)
    assert idx == sorted(set(idx)) and 0 <= idx[0] and idx[-1] <= total - 1 and len(idx) >= 1


def test_key_window_sampling_as_the_official_evaluation():
    # 60 s at 30 fps, 120 frames, window 10-20 s: the windows get round(120*1.5*301/(1.5*301+1498)) = 28
    # samples by np.linspace(300, 600, 28, dtype=int); the other 92 spread over the remaining frames 0..1798
    idx = key_window_indices(1800, 30.0, 120, [(10, 20)])
    inside = [i for i in idx if 300 <= i <= 600]
    assert len(idx) == 120 and len(inside) == 28
    assert inside == sorted(set(np.linspace(300, 600, 28, dtype=int).tolist()))
    assert max(idx) <= 1798  # the evaluation passes the last index as the frame count
    # a window reaching past the end: clamped to frame 1798, both ends kept, one more frame in total
    assert len(key_window_indices(1800, 30.0, 120, [(59.9, 70)])) == 121
    # reversed windows are dropped; with none left, the frames spread over 0..1798 by np.linspace
    assert key_window_indices(1800, 30.0, 120, [(20, 10)]) == np.linspace(0, 1798, 120, dtype=int).tolist()
    # a bare pair is not a list of windows: the first round's rule
    assert key_window_indices(1800, 30.0, 120, (10, 20)) == uniform_indices(1800, 120)


def test_videochat_glue_and_final_prompts_as_its_scripts_write_them():
    key = AnswerKey(kind="mc", gt="A", stem="What does he do first?", options=["sits", "runs"], question="full text")
    glue = rq.videochat_prompt("videomme", key, final_round=False)
    assert glue.startswith('Answer the question: "What does he do first?" according to the content of the video. '
                           "Select the answer from :A. sits\nB. runs\n.\n\nOutput your think process within the  <think>")
    assert "full text" not in glue  # the question slot gets the bare question, the options appear once
    # MVBench, MLVU, LongVideoBench, Video-MMMU rebuild the options without a space: "A.x"
    assert "Select the answer from :A.sits\nB.runs\n." in rq.videochat_prompt("mlvu", key, final_round=False)
    # the last round: the plain answer template, MVBench's and Video-MMMU's own
    assert rq.videochat_prompt("videomme", key, True).endswith("For example: <answer>A</answer>.\n")
    assert rq.videochat_prompt("mvbench", key, True).endswith(":A.sits\nB.runs\n. The option is: ")
    # VSI-Bench: the multiple-choice or the numeric glue template in every round
    numeric = AnswerKey(kind="numeric", gt=4.0, stem="How many chairs?")
    for final in (False, True):
        assert rq.videochat_prompt("vsibench", numeric, final).startswith(
            'Answer the question: "How many chairs?" according to the content of the video.\n\nProvide your answer')
        assert "<glue>[(5.2, 10.4)]</glue>" in rq.videochat_prompt("vsibench", dataclasses.replace(key, kind="mc"), final)


# -------------------------------------------------------------------- (e) sampling precedence


def test_task_max_new_tokens_is_the_base():
    s = rq.sampling_settings(get_profile("video_r2"), "paper", {"max_new_tokens": 333}, {})
    assert s["max_new_tokens"] == 333
    assert rq.sampling_settings(get_profile("video_r2"), "paper", {}, {})["max_new_tokens"] == 1024


def test_precedence_library_checkpoint_protocol_model_args():
    gc = {"do_sample": True, "temperature": 0.1, "top_p": 0.001, "top_k": 1, "repetition_penalty": 1.05}
    r1 = get_profile("video_r1")
    # no generation_config: transformers' defaults
    assert rq.sampling_settings(r1, "paper", {}, {}) == {
        "do_sample": False, "temperature": 1.0, "top_p": 1.0, "top_k": 50, "repetition_penalty": 1.0, "max_new_tokens": 1024}
    # native: its own length and sampling; vLLM's defaults rather than the checkpoint's
    native = rq.sampling_settings(r1, "native", {"max_new_tokens": 333}, {}, gc)
    assert native == {"do_sample": True, "temperature": 0.1, "top_p": 0.001, "top_k": 0, "repetition_penalty": 1.0,
                      "max_new_tokens": 1024}
    explicit = rq.sampling_settings(r1, "native", {"max_new_tokens": 333},
                                    {"max_new_tokens": 64, "temperature": 0.7, "top_p": 0.9, "repetition_penalty": 1.2}, gc)
    assert explicit == {**native, "max_new_tokens": 64, "temperature": 0.7, "top_p": 0.9, "repetition_penalty": 1.2}
    assert rq.sampling_settings(r1, "native", {}, {"temperature": 0.0}, gc)["do_sample"] is False
    assert rq.sampling_settings(r1, "native", {}, {"max_new_tokens": None, "temperature": None}, gc) == native
    # paper: greedy, the checkpoint's repetition penalty kept
    paper = rq.sampling_settings(r1, "paper", {"max_new_tokens": 333}, {}, gc)
    assert paper["do_sample"] is False and paper["repetition_penalty"] == 1.05 and paper["max_new_tokens"] == 333
    assert sampling_params_dict(paper, [1])["temperature"] == 0.0
    assert sampling_params_dict(paper, [1])["repetition_penalty"] == 1.05


def test_build_request_carries_the_settings_and_profile_prompt(video_path):
    key = AnswerKey(kind="numeric", gt=2.0, stem="How far is it?")
    r = rq.build_request(get_profile("video_r1"), "native", task="videor2_vsibench", doc_id=3, context=CONTEXT,
                         key=key, video_path=video_path, gen_kwargs={"max_new_tokens": 333},
                         overrides={"top_p": 0.5, "system_prompt": "SYS"})
    assert r.sampling["max_new_tokens"] == 1024 and r.sampling["top_p"] == 0.5 and r.sampling["temperature"] == 0.1
    assert r.system == "SYS" and r.kind == "numeric"
    assert r.text == "How far is it?\n" + get_profile("video_r1").suffix("numeric", "native").join(
        [rq.R1_THINK_TEMPLATE, ""])
    # paper and unified: the task's own text for every model, no answer-type suffix
    for protocol in ("paper", "unified"):
        r = rq.build_request(get_profile("video_r1"), protocol, task="videor2_vsibench", doc_id=3, context=CONTEXT,
                             key=key, video_path=video_path, gen_kwargs={}, overrides={})
        assert r.text == CONTEXT
