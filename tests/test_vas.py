"""Video Attention Score: exactness against a naive eager forward, the two ways in, edge cases.

The exact reference is the naive eager forward with `output_attentions=True` of the float64 model,
with its softmax in float64 too (transformers' Qwen2.5-VL eager attention hard-codes a float32
softmax, which alone carries ~1e-7 relative error: 1e-5 points on a 90 % share).
"""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
import torch

from videor2.diagnostics.vas import (AttentionProbe, attention_shares, box_stats, sample_record,
                                     teacher_forced_shares)
from videor2.models import requests as rq
from videor2.models.profiles import get_profile
from videor2.tasks.common.scoring import AnswerKey

TOL = 1e-5  # percent points: fp32 generation vs fp32 teacher forcing (same model, same kernels)
EXACT_TOL = 1e-9  # percent points: float64 probe vs the exact float64 reference
U32 = 2.0 ** -24  # fp32 unit roundoff


@pytest.fixture(scope="module")
def tiny_dir():
    from videor2.models.tiny import default_tiny_model

    return str(default_tiny_model())


@pytest.fixture(scope="module")
def backend(tiny_dir):
    from videor2.models.hf_backend import TransformersBackend

    return TransformersBackend(tiny_dir, dtype="float32", attn_implementation="sdpa")


@pytest.fixture(scope="module")
def backend64(tiny_dir):
    from videor2.models.hf_backend import TransformersBackend

    return TransformersBackend(tiny_dir, dtype="float64", attn_implementation="sdpa")


def _eager(tiny_dir, dtype):
    from transformers import Qwen2_5_VLForConditionalGeneration

    return Qwen2_5_VLForConditionalGeneration.from_pretrained(tiny_dir, torch_dtype=dtype,
                                                              attn_implementation="eager").eval()


@pytest.fixture(scope="module")
def eager_model(tiny_dir):
    """The exact reference model (float64; see float64_softmax)."""
    return _eager(tiny_dir, torch.float64)


@pytest.fixture(scope="module")
def eager_model32(tiny_dir):
    """transformers' own fp32 eager attention: its error against the exact reference calibrates the
    fp32 probe's tolerance."""
    return _eager(tiny_dir, torch.float32)


@contextlib.contextmanager
def float64_softmax():
    """Make the eager attention's `softmax(..., dtype=torch.float32)` keep float64 inputs in float64."""
    import transformers.models.qwen2_5_vl.modeling_qwen2_5_vl as modeling

    original = modeling.nn.functional.softmax

    def softmax(x, dim=None, _stacklevel=3, dtype=None):
        return original(x, dim=dim, dtype=torch.float64 if x.dtype == torch.float64 else dtype)

    modeling.nn.functional.softmax = softmax
    try:
        yield
    finally:
        modeling.nn.functional.softmax = original


def make_request(video, question="What happens in the video? (A) a square moves (B) nothing", max_new_tokens=12, max_frames=8):
    profile = get_profile("video_r2")
    r = rq.build_request(profile, "unified", task="t", doc_id=0, context=question, key=AnswerKey(kind="mc", gt="A"),
                         video_path=str(video), gen_kwargs={"max_new_tokens": max_new_tokens}, overrides={})
    frames = dict(rq.frame_settings(profile, "unified", {}), max_frames=max_frames)
    return rq.sample(r, "unified", frames)


def naive_shares(eager_model, backend, request, response_ids, layer):
    """Independent reference: one eager forward with output_attentions over prompt + response."""
    batch = backend.inputs([request])
    P = batch["input_ids"].shape[1]
    ids = torch.cat([batch["input_ids"], torch.tensor([response_ids])], dim=1)
    mask = torch.ones_like(ids)
    eager_model.rope_deltas = None
    with torch.no_grad(), float64_softmax():
        out = eager_model(input_ids=ids, attention_mask=mask, pixel_values_videos=batch["pixel_values_videos"],
                          video_grid_thw=batch["video_grid_thw"], second_per_grid_ts=batch["second_per_grid_ts"],
                          output_attentions=True, use_cache=False)
    att = out.attentions[layer][0].double().numpy()  # [H, T, T]
    prompt = batch["input_ids"][0].numpy()
    video = prompt == eager_model.config.video_token_id
    rows = []
    for i in range(len(response_ids)):
        q = P - 1 + i
        row = att[:, q, : q + 1]
        v = row[:, :P][:, video].sum(-1)
        t = row[:, :P][:, ~video].sum(-1)
        g = row[:, P:].sum(-1)
        rows.append([v.mean() * 100, t.mean() * 100, g.mean() * 100])
    return np.array(rows)


@pytest.fixture(scope="module")
def short_video():
    import os
    from pathlib import Path

    return Path(os.environ["VIDEOR2_TEST_POOL"]) / "v3s_24fps_4x3.mp4"


@pytest.mark.parametrize("layer", [-1, 0])
def test_float64_probe_equals_exact_reference(backend64, eager_model, short_video, layer):
    req = make_request(short_video)
    gen = backend64.generate([req], probe=AttentionProbe(backend64.model, layers=str(layer)))[0]
    assert len(gen.token_ids) >= 2
    ref = naive_shares(eager_model, backend64, req, gen.token_ids, layer)
    got = np.asarray(gen.shares, dtype=np.float64)
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, ref, atol=EXACT_TOL, rtol=0)
    np.testing.assert_allclose(got.sum(-1), 100.0, atol=1e-9)
    assert (got[:, 0] > 0).all()  # the video block does receive attention


@pytest.mark.parametrize("layer", [-1, 0])
def test_fp32_probe_within_fp32_rounding_of_exact(backend, backend64, eager_model, eager_model32, short_video, layer):
    """Tolerance, derived: an fp32 model's shares differ from the exact ones by the rounding of its
    fp32 forward. That rounding is measured here on the same tokens as the error e_eager of
    transformers' own fp32 eager attention against the exact reference. The probe must be no less
    accurate than 4 x e_eager (its kernels round differently: SDPA elsewhere, float64 rows), plus
    100 x u32 = 6e-6 points, the rounding of one fp32 operation on a 100-point share."""
    req = make_request(short_video)
    gen = backend.generate([req], probe=AttentionProbe(backend.model, layers=str(layer)))[0]
    exact = naive_shares(eager_model, backend64, req, gen.token_ids, layer)
    eager32 = naive_shares(eager_model32, backend, req, gen.token_ids, layer)
    e_eager = float(np.abs(eager32 - exact).max())
    tol = 4 * e_eager + 100 * U32
    got = np.asarray(gen.shares, dtype=np.float64)
    err = float(np.abs(got - exact).max())
    assert 0 < e_eager < 1e-3, e_eager  # fp32 does round; nothing grossly wrong in the reference
    assert err <= tol, f"fp32 probe off by {err:.3g} points; tolerance {tol:.3g} (e_eager {e_eager:.3g})"


@pytest.mark.parametrize("layer", [-1, 0])
def test_teacher_forcing_equals_generation(backend, short_video, layer):
    req = make_request(short_video)
    probe = AttentionProbe(backend.model, layers=str(layer))
    gen = backend.generate([req], probe=probe)[0]
    _, forced = teacher_forced_shares(backend, req, gen.token_ids, probe, chunk=3)  # chunked on purpose
    np.testing.assert_allclose(forced, gen.shares, atol=TOL, rtol=0)


def test_probe_does_not_change_the_generated_text(backend, short_video):
    req = make_request(short_video, max_new_tokens=24)
    plain = backend.generate([req])[0]
    probed = backend.generate([req], probe=AttentionProbe(backend.model))[0]
    assert plain.token_ids == probed.token_ids


def test_left_padded_batch_matches_single_requests(backend, short_video):
    import os
    from pathlib import Path

    other = Path(os.environ["VIDEOR2_TEST_POOL"]) / "v10s_30fps_portrait.mp4"
    reqs = [make_request(short_video, max_frames=4), make_request(other, question="Count the squares.", max_frames=8)]
    assert reqs[0].video.size != reqs[1].video.size  # different prompt lengths: one row is padded
    probe = AttentionProbe(backend.model)
    batch_gens = backend.generate(reqs, probe=probe)
    for req, bg in zip(reqs, batch_gens):
        single = backend.generate([req], probe=probe)[0]
        n = min(len(single.token_ids), len(bg.token_ids))
        assert n > 0
        np.testing.assert_allclose(bg.shares[:n], single.shares[:n], atol=1e-4, rtol=0)
        assert bg.video_positions == single.video_positions


def test_one_token_response_and_short_video(backend64, eager_model, tmp_path):
    from fractions import Fraction

    from videor2.fixtures import VideoSpec, encode_video

    tiny = encode_video(tmp_path / "three_frames.mp4", VideoSpec("three", 0.1, Fraction(30), 320, 240))
    req = make_request(tiny)
    assert len(req.video.indices) <= 4
    probe = AttentionProbe(backend64.model)
    ids = backend64.processor.tokenizer("<answer>B</answer>", add_special_tokens=False)["input_ids"][:1]
    _, forced = teacher_forced_shares(backend64, req, ids, probe)
    ref = naive_shares(eager_model, backend64, req, ids, -1)
    np.testing.assert_allclose(forced, ref, atol=EXACT_TOL, rtol=0)


def test_attention_shares_arithmetic():
    probs = torch.tensor([[[[0.1, 0.2, 0.3, 0.4]], [[0.4, 0.3, 0.2, 0.1]]]])  # B=1, H=2, Q=1, T=4
    video = torch.tensor([[False, True, True, False]])
    out = attention_shares(probs, video, prompt_len=3, heads="mean")[0, 0].tolist()
    assert out == pytest.approx([50.0, 25.0, 25.0])
    out = attention_shares(probs, video, prompt_len=3, heads="max")[0, 0].tolist()
    assert out == pytest.approx([50.0, 40.0, 40.0])


def test_spans_for_think_answer_truncation_and_no_think(backend):
    tok = backend.processor.tokenizer
    cases = {
        "<think>the square moves right</think><answer>B</answer>": (True, True),
        "<answer>B</answer>": (False, True),
        "<think>the square moves right and then": (True, False),
        "<think>so B</think><answer>B": (True, True),
    }
    for text, (has_think, has_answer) in cases.items():
        ids = tok(text, add_special_tokens=False)["input_ids"]
        shares = np.tile([10.0, 80.0, 10.0], (len(ids), 1))
        shares[:, 0] = np.arange(len(ids))
        rec = sample_record(tok, ids, shares, prompt_ids=[1, 2], video_positions=[1], layers=[1], heads="mean", way="x")
        assert (rec["think_span"] is not None) == has_think, text
        assert (rec["answer_span"] is not None) == has_answer, text
        if has_think and has_answer:
            assert rec["think_span"][1] <= rec["answer_span"][0] + 1
        assert rec["stats"]["n_tokens"] == len(ids)
        assert rec["stats"]["mean"] == pytest.approx(np.mean(np.arange(len(ids))))


def test_box_stats_follow_matplotlib_convention():
    import matplotlib.cbook as cbook

    values = [1.0, 2.0, 2.5, 3.0, 4.0, 100.0]
    ours = box_stats(values)
    ref = cbook.boxplot_stats(np.array(values))[0]
    for k in ("mean", "q1", "q3", "whislo", "whishi"):
        assert ours[k] == pytest.approx(ref[k]), k
    assert ours["median"] == pytest.approx(ref["med"])
