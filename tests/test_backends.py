"""The transformers and vLLM backends receive identical inputs; vLLM errors; <glue> parsing;
sampling-settings precedence. CPU only: vLLM is replaced by a recording stand-in module, so
VLLMBackend's real __init__/generate run and what they would hand to vLLM is compared with what
TransformersBackend hands to the processor and to generate()."""

from __future__ import annotations

import copy
import os
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from videor2.models import requests as rq
from videor2.models.profiles import PROFILES, PROTOCOLS, get_profile
from videor2.models.vllm_backend import VLLMBackend, sampling_params_dict

CONTEXT = "Question: What does the person do first?\nOptions:\n(A) sits\n(B) runs\n(C) jumps\n(D) waves"
KEY = {"kind": "mc", "question": "What does the person do first?", "options": ["sits", "runs", "jumps", "waves"]}


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


def _request(profile_name: str, protocol: str, video_path: str, gen_kwargs=None, overrides=None):
    """A request built and sampled exactly as ReasoningVideoLM._answer does (frames capped at 8)."""
    profile = get_profile(profile_name)
    overrides = {"max_frames": 8, **(overrides or {})}
    r = rq.build_request(profile, protocol, task="videor2_mvbench", doc_id=0, context=CONTEXT, key=KEY,
                         video_path=video_path, gen_kwargs=gen_kwargs or {"max_new_tokens": 256}, overrides=overrides)
    frames = rq.frame_settings(profile, protocol, overrides)
    sampler_protocol = "paper" if protocol == "paper" else "unified"
    cache_key = (sampler_protocol, tuple(sorted(frames.items())))
    if cache_key not in _SAMPLED:
        _SAMPLED[cache_key] = rq.sample(r, sampler_protocol, frames).video
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
    r = _request(profile_name, protocol, video_path)
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
    if not vllm_greedy:
        assert vp["temperature"] == pytest.approx(eff.temperature)
        assert vp["top_p"] == pytest.approx(eff.top_p)
    if protocol != "native":
        assert vllm_greedy  # unified and paper decode greedily for every model


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


@pytest.mark.parametrize("profile_name, protocol", [("video_r2", "unified"), ("videochat_r1_5", "native")])
def test_decoding_agrees_under_a_qwen_style_generation_config(hf, video_path, monkeypatch, profile_name, protocol):
    from transformers import GenerationConfig

    qwen_like = GenerationConfig(do_sample=True, temperature=0.1, top_p=0.001, top_k=1, repetition_penalty=1.05,
                                 bos_token_id=hf.stop_ids[0], eos_token_id=hf.stop_ids)
    monkeypatch.setattr(hf.model, "generation_config", qwen_like)
    r = _request(profile_name, protocol, video_path)
    vp = sampling_params_dict(r.sampling, hf.stop_ids)
    eff = _effective_hf(hf, r.sampling)
    assert (vp["temperature"] == 0.0) == (not eff.do_sample)
    assert eff.repetition_penalty == vp.get("repetition_penalty", 1.0)


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


@pytest.mark.parametrize(
    "text, duration, expected",
    [
        ("<think>x</think><answer>A</answer><glue>[(5.2, 10.4)]</glue>", None, [(5.2, 10.4)]),
        ("<glue>[(1, 2), (4.5, 6)]</glue>", 10.0, [(1.0, 2.0), (4.5, 6.0)]),
        ("<glue>(1, 2)</glue>", None, [(1.0, 2.0)]),                       # a bare pair
        ("<glue>[[1, 2], [3, 4]]</glue>", None, [(1.0, 2.0), (3.0, 4.0)]),  # lists instead of tuples
        ("< GLUE >\n[(1, 2)]\n</ glue >", None, [(1.0, 2.0)]),            # case and spacing
        ("<glue>[(1, 2)]</glue> then <glue>[(3, 4)]</glue>", None, [(3.0, 4.0)]),  # the last block wins
        ("<glue>[(6, 2)]</glue>", None, [(2.0, 6.0)]),                     # reversed interval: sorted
        ("<glue>[(3, 3)]</glue>", None, []),                               # empty interval dropped
        ("<glue>[(-3, 4), (8, 20)]</glue>", 10.0, [(0.0, 4.0), (8.0, 10.0)]),  # clipped to the video
        ("<glue>[(12, 15)]</glue>", 10.0, []),                             # entirely after the end
        ("<glue>[(-5, -1)]</glue>", 10.0, []),                             # entirely before the start
        ("<glue>[(12, 15)]</glue>", None, [(12.0, 15.0)]),                 # no duration: kept
        ("<glue>[(1, 2), (1, 2, 3), ('a', 'b'), 7, (None, 2)]</glue>", None, [(1.0, 2.0)]),  # bad items skipped
        ("<glue>[[(1, 2)], (3, 4)]</glue>", None, [(3.0, 4.0)]),           # nested list item skipped
        ("<glue><glue>[(1, 2)]</glue></glue>", None, []),                  # nested tags: malformed
        ("<glue>[(1, 2)</glue>", None, []),                                # unbalanced
        ("<glue>[(1, 2)]", None, []),                                      # unclosed tag
        ("<glue></glue>", None, []),
        ("<glue>5.2 to 10.4 seconds</glue>", None, []),
        ("<glue>__import__('os').system('true')</glue>", None, []),       # never evaluated
        ("<glue>{(1, 2)}</glue>", None, []),                               # a set is not a window list
        ("<glue>[1, 2]</glue>", None, []),                                 # a bare pair in list brackets
        ("<glue>[(1+2j, 3)]</glue>", None, []),
        ("no tags at all [(1, 2)]", None, []),
        ("", None, []),
        (None, None, []),
        ("<glue>" + "[" * 500 + "]" * 500 + "</glue>", None, []),          # deep nesting
    ],
)
def test_parse_glue_cases(text, duration, expected):
    assert rq.parse_glue(text, duration) == expected


def _check_windows(windows, duration):
    assert isinstance(windows, list)
    for w in windows:
        assert isinstance(w, tuple) and len(w) == 2
        s, e = w
        assert isinstance(s, float) and isinstance(e, float) and e > s
        if duration is not None:
            assert 0.0 <= s < e <= duration


_number = st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True))
_windows_text = st.lists(st.tuples(_number, _number), max_size=6).map(repr)
_glue_text = st.one_of(st.text(max_size=200), _windows_text).map(lambda s: f"<glue>{s}</glue>")
_durations = st.one_of(st.none(), st.floats(min_value=0.0, max_value=1e5))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=300), _glue_text,
                 st.tuples(st.text(max_size=50), _glue_text, st.text(max_size=50)).map("".join)), _durations)
def test_parse_glue_never_raises(text, duration):
    _check_windows(rq.parse_glue(text, duration), duration)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1000, allow_nan=False), st.floats(0, 1000, allow_nan=False)), max_size=6))
def test_parse_glue_round_trips_well_formed_windows(pairs):
    expected = [(min(a, b), max(a, b)) for a, b in pairs if a != b]
    assert rq.parse_glue(f"<answer>B</answer><glue>{pairs!r}</glue>") == expected


# -------------------------------------------------------------------- (e) sampling precedence


def test_task_max_new_tokens_is_the_base():
    s = rq.sampling_settings(get_profile("video_r2"), "unified", {"max_new_tokens": 333}, {})
    assert s["max_new_tokens"] == 333
    assert rq.sampling_settings(get_profile("video_r2"), "unified", {}, {})["max_new_tokens"] == 1024


def test_native_profile_overrides_the_task_and_model_args_override_both():
    r1 = get_profile("video_r1")
    native = rq.sampling_settings(r1, "native", {"max_new_tokens": 333}, {})
    assert native == {"max_new_tokens": 1024, "do_sample": True, "temperature": 0.1, "top_p": 0.001}
    explicit = rq.sampling_settings(r1, "native", {"max_new_tokens": 333},
                                    {"max_new_tokens": 64, "temperature": 0.7, "top_p": 0.9})
    assert explicit == {"max_new_tokens": 64, "do_sample": True, "temperature": 0.7, "top_p": 0.9}
    # unified keeps the task's length for the same model
    assert rq.sampling_settings(r1, "unified", {"max_new_tokens": 333}, {})["max_new_tokens"] == 333
    # an explicit temperature of 0 turns sampling off
    assert rq.sampling_settings(r1, "native", {}, {"temperature": 0.0})["do_sample"] is False
    # None means "not given"
    assert rq.sampling_settings(r1, "native", {}, {"max_new_tokens": None, "temperature": None}) == native


def test_native_decoding_of_each_model():
    assert rq.sampling_settings(get_profile("videorft"), "native", {}, {}) == {
        "max_new_tokens": 1024, "do_sample": True, "temperature": 0.01, "top_p": 0.001}
    # VideoChat-R1.5 native: its checkpoint's generation_config.json decides the decoding
    assert rq.sampling_settings(get_profile("videochat_r1_5"), "native", {"max_new_tokens": 333}, {}) == {
        "max_new_tokens": 2048}
    for name in ("video_r2", "qwen2_5_vl_cot"):
        s = rq.sampling_settings(get_profile(name), "native", {"max_new_tokens": 333}, {})
        assert s == {"max_new_tokens": 333, "do_sample": False, "temperature": 0.0, "top_p": 1.0}


@pytest.mark.parametrize("name", sorted(PROFILES))
@pytest.mark.parametrize("protocol", ["unified", "paper"])
def test_unified_and_paper_are_greedy_for_every_profile(name, protocol):
    s = rq.sampling_settings(get_profile(name), protocol, {"max_new_tokens": 333}, {})
    assert s == {"max_new_tokens": 333, "do_sample": False, "temperature": 0.0, "top_p": 1.0}
    assert sampling_params_dict(s, [1])["temperature"] == 0.0
    # asking for sampling without a temperature keeps greedy (temperature 0 wins)
    assert rq.sampling_settings(get_profile(name), protocol, {}, {"do_sample": True})["do_sample"] is False


def test_build_request_carries_the_settings_and_profile_prompt(video_path):
    r = rq.build_request(get_profile("video_r1"), "native", task="videor2_mvbench", doc_id=3, context=CONTEXT,
                         key={"kind": "numeric"}, video_path=video_path, gen_kwargs={"max_new_tokens": 333},
                         overrides={"top_p": 0.5, "system_prompt": "SYS"})
    assert r.sampling == {"max_new_tokens": 1024, "do_sample": True, "temperature": 0.1, "top_p": 0.5}
    assert r.system == "SYS" and r.kind == "numeric"
    assert r.text == CONTEXT + get_profile("video_r1").suffix("numeric")
