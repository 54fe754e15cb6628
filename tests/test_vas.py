"""Video Attention Score: exactness against a naive eager forward, the two ways in, edge cases."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from videor2.diagnostics.vas import (AttentionProbe, attention_shares, box_stats, sample_record,
                                     teacher_forced_shares)
from videor2.models import requests as rq
from videor2.models.profiles import get_profile

TOL = 1e-5  # percent points


@pytest.fixture(scope="module")
def tiny_dir():
    from videor2.models.tiny import default_tiny_model

    return str(default_tiny_model())


@pytest.fixture(scope="module")
def backend(tiny_dir):
    from videor2.models.hf_backend import TransformersBackend

    return TransformersBackend(tiny_dir, dtype="float32", attn_implementation="sdpa")


@pytest.fixture(scope="module")
def eager_model(tiny_dir):
    from transformers import Qwen2_5_VLForConditionalGeneration

    return Qwen2_5_VLForConditionalGeneration.from_pretrained(tiny_dir, torch_dtype=torch.float32,
                                                              attn_implementation="eager").eval()


def make_request(video, question="What happens in the video? (A) a square moves (B) nothing", max_new_tokens=12, max_frames=8):
    profile = get_profile("video_r2")
    r = rq.build_request(profile, "unified", task="t", doc_id=0, context=question, key={"kind": "mc"},
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
    with torch.no_grad():
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
def test_generation_probe_equals_naive_eager(backend, eager_model, short_video, layer):
    req = make_request(short_video)
    probe = AttentionProbe(backend.model, layers=str(layer))
    gen = backend.generate([req], probe=probe)[0]
    assert len(gen.token_ids) >= 2
    ref = naive_shares(eager_model, backend, req, gen.token_ids, layer)
    got = np.asarray(gen.shares, dtype=np.float64)
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, ref, atol=TOL, rtol=0)
    np.testing.assert_allclose(got.sum(-1), 100.0, atol=1e-4)
    assert (got[:, 0] > 0).all()  # the video block does receive attention


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


def test_one_token_response_and_short_video(backend, eager_model, tmp_path):
    from fractions import Fraction

    from videor2.fixtures import VideoSpec, encode_video

    tiny = encode_video(tmp_path / "three_frames.mp4", VideoSpec("three", 0.1, Fraction(30), 320, 240))
    req = make_request(tiny)
    assert len(req.video.indices) <= 4
    probe = AttentionProbe(backend.model)
    ids = backend.processor.tokenizer("<answer>B</answer>", add_special_tokens=False)["input_ids"][:1]
    _, forced = teacher_forced_shares(backend, req, ids, probe)
    ref = naive_shares(eager_model, backend, req, ids, -1)
    np.testing.assert_allclose(forced, ref, atol=TOL, rtol=0)


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
