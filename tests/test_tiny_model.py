"""The tiny Qwen2.5-VL checkpoint: loads like a hub checkpoint, processes real video, generates."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest
from videor2.models.tiny import SPECIAL_TOKENS, build_tiny_model


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model", seed=0)


@pytest.fixture(scope="module")
def loaded(tiny):
    from transformers import AutoProcessor, Qwen2_5_VLForConditionalGeneration

    model = Qwen2_5_VLForConditionalGeneration.from_pretrained(tiny).eval()
    processor = AutoProcessor.from_pretrained(tiny)
    return model, processor


@pytest.fixture(scope="module")
def frames(tmp_path_factory):
    from videor2.models.sampler import sample_video

    from videor2.fixtures import build_pool

    env = os.environ.get("VIDEOR2_TEST_POOL")
    pool = build_pool(Path(env) if env else tmp_path_factory.mktemp("tiny_pool"))
    return sample_video(pool["v3s_24fps_4x3"])  # 6 frames at 336x448


def _hashes(d: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(d.iterdir()) if p.is_file()}


def test_loads_like_a_hub_checkpoint(tiny, loaded):
    model, processor = loaded
    assert type(model).__name__ == "Qwen2_5_VLForConditionalGeneration"
    assert type(processor).__name__ == "Qwen2_5_VLProcessor"
    assert type(processor.tokenizer).__name__ == "Qwen2TokenizerFast"
    tok = processor.tokenizer
    for t in SPECIAL_TOKENS:
        assert tok.convert_tokens_to_ids(t) != tok.unk_token_id and tok.convert_ids_to_tokens(tok.convert_tokens_to_ids(t)) == t
    cfg = model.config
    assert cfg.video_token_id == tok.convert_tokens_to_ids("<|video_pad|>")
    assert cfg.image_token_id == tok.convert_tokens_to_ids("<|image_pad|>")
    assert cfg.vision_start_token_id == tok.convert_tokens_to_ids("<|vision_start|>")
    assert cfg.vision_config.out_hidden_size == cfg.hidden_size
    eos = set(model.generation_config.eos_token_id)
    assert eos == {tok.convert_tokens_to_ids("<|im_end|>"), tok.convert_tokens_to_ids("<|endoftext|>")}
    ip = processor.image_processor
    assert (ip.patch_size, ip.merge_size, ip.temporal_patch_size) == (14, 2, 2)
    # round trip of ordinary text through the byte-level BPE
    text = "Please think about this question. Ünïcode and 3.14 <answer>B</answer>"
    assert tok.decode(tok(text)["input_ids"]) == text


def _inputs(processor, frames, question="What is moving in the video?"):
    messages = [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": [{"type": "video", "video": "file.mp4"}, {"type": "text", "text": question}]},
    ]
    text = processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert text == (
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
        f"<|vision_start|><|video_pad|><|vision_end|>{question}<|im_end|>\n<|im_start|>assistant\n"
    )
    return processor(text=[text], videos=[list(frames.frames)], fps=[frames.sample_fps], return_tensors="pt", padding=True)


def test_video_tokens(loaded, frames):
    model, processor = loaded
    T, H, W, _ = frames.frames.shape
    assert (T, H, W) == (6, 336, 448)
    inputs = _inputs(processor, frames)
    expected = T // 2 * (H // 28) * (W // 28)  # 3 * 12 * 16 = 576
    assert int((inputs["input_ids"] == model.config.video_token_id).sum()) == expected
    assert inputs["video_grid_thw"].tolist() == [[T // 2, H // 14, W // 14]]
    assert inputs["pixel_values_videos"].shape == (T // 2 * (H // 14) * (W // 14), 3 * 2 * 14 * 14)


def test_generate_is_fast_and_deterministic(loaded, frames):
    import torch

    model, processor = loaded
    inputs = _inputs(processor, frames)
    n_in = inputs["input_ids"].shape[1]
    outs = []
    start = time.perf_counter()
    for _ in range(2):
        with torch.no_grad():
            out = model.generate(**inputs, max_new_tokens=8, do_sample=False)
        outs.append(out[0, n_in:].tolist())
    assert time.perf_counter() - start < 30
    assert 1 <= len(outs[0]) <= 8 and outs[0] == outs[1]
    processor.batch_decode([outs[0]], skip_special_tokens=True)


def test_same_seed_byte_identical(tiny, tmp_path):
    again = build_tiny_model(tmp_path / "again", seed=0)
    assert _hashes(again) == _hashes(tiny)
    other = build_tiny_model(tmp_path / "other", seed=1)
    assert _hashes(other)["model.safetensors"] != _hashes(tiny)["model.safetensors"]
    assert _hashes(other)["tokenizer.json"] == _hashes(tiny)["tokenizer.json"]


def test_cli_and_default(tmp_path, monkeypatch):
    from videor2.models.tiny import default_tiny_model

    from videor2.cli import main

    assert main(["tiny-model", str(tmp_path / "cli"), "--seed", "3"]) == 0
    assert (tmp_path / "cli" / "model.safetensors").is_file()
    monkeypatch.setenv("VIDEOR2_CACHE", str(tmp_path / "cache"))
    first = default_tiny_model()
    assert first.parent == tmp_path / "cache" and (first / "config.json").is_file()
    stamp = (first / "model.safetensors").stat().st_mtime_ns
    assert default_tiny_model() == first and (first / "model.safetensors").stat().st_mtime_ns == stamp
