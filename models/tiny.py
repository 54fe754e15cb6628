"""A tiny random-weight Qwen2.5-VL checkpoint, built offline, that loads like a hub checkpoint.

`build_tiny_model(out_dir, seed=0)` writes config.json, generation_config.json,
model.safetensors, the tokenizer files, preprocessor_config.json and chat_template.json, so
`Qwen2_5_VLForConditionalGeneration.from_pretrained(dir)` and `AutoProcessor.from_pretrained(dir)`
work on it exactly as on Qwen/Qwen2.5-VL-7B-Instruct. The tokenizer is a byte-level BPE trained
with `tokenizers` on a small built-in corpus (the protocol prompts plus common English) with
Qwen's special-token strings appended after the learned vocabulary, as in Qwen's own vocabulary.
The same seed gives byte-identical files.

CLI: `videor2 tiny-model DIR [--seed N]`.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

TINY_VERSION = "3"

# Qwen2.5-VL's special tokens, in Qwen's order (ids follow the learned vocabulary here).
SPECIAL_TOKENS = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|object_ref_start|>",
    "<|object_ref_end|>",
    "<|box_start|>",
    "<|box_end|>",
    "<|quad_start|>",
    "<|quad_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
)
# Qwen marks these as plain added tokens (not special): they survive skip_special_tokens.
ADDED_TOKENS = ("<tool_call>", "</tool_call>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>",
                "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>")

# Qwen2-VL style chat template: system/user/assistant turns, images and videos as vision spans.
CHAT_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}"
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n"
    "{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}{% if add_vision_id %}Picture {{ image_count.value }}: {% endif %}"
    "<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content %}"
    "{% set video_count.value = video_count.value + 1 %}{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}"
    "<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}"
    "{% endif %}{% endfor %}<|im_end|>\n"
    "{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

THINK_PROMPT = (
    "\nPlease think about this question as if you were a human pondering deeply. Engage in an internal "
    "dialogue using expressions such as 'let me think', 'wait', 'Hmm', 'oh, I see', 'let's break it down', "
    "etc, or other natural language thought expressions. It's encouraged to include self-reflection or "
    "verification in the reasoning process. Provide your detailed reasoning between the <think> and </think> "
    "tags, and then give your final answer between the <answer> and </answer> tags."
)

_CORPUS = [
    "You are a helpful assistant.",
    THINK_PROMPT,
    " Please provide only the single option letter (e.g., A, B, C, D, etc.) within the <answer> </answer> tags.",
    " Please provide the numerical value (e.g., 42 or 3.14) within the <answer> </answer> tags.",
    " Please transcribe text from the image/video clearly and provide your text answer within the <answer> </answer> tags.",
    " Please provide your text answer within the <answer> </answer> tags.",
    "Select the best answer to the following multiple-choice question based on the video and the subtitles. "
    "Respond with only the letter (A, B, C, or D) of the correct option.",
    "Select the best answer to the following multiple-choice question based on the video. "
    "Respond with the letter (A, B, C, D or E) of the correct option.",
    "Answer with the option's letter (e.g., A, B, C, D, etc.) from the given choices directly.",
    "Answer with the option's letter from the given choices directly.",
    "Please ignore the Quiz question in last frame of the video.",
    "You should watch and learn the video content. Then apply what you learned to answer the following "
    "multi-choice question. The image for this question is at the end of the video.",
    "Answer directly with the option letter from the given choices. "
    "Do not generate any intermediate thinking. Directly output the final answer.",
    "These are frames of a video. Options:\nPlease answer the question using a single word or phrase.",
    "Answer the question: \"[QUESTION]\" according to the content of the video. Select the answer from :[OPTION].\n\n"
    "Output your think process within the  <think> </think> tags.\n\nThen, provide your answer within the <answer> "
    "</answer> tags, output the corresponding letter of the option. At the same time, in the <glue> </glue> tags, "
    "present the precise time period in seconds of the video clips on which you base your answer to this question "
    "in the format of [(s1, e1), (s2, e2), ...]. For example: <think>...</think><answer>A</answer><glue>[(5.2, 10.4)]</glue>.",
    "Question: What is the person doing in the video?\nOption:\n(A) walking\n(B) running\n(C) sitting\n(D) jumping\n",
    "<think>Let me think. The video shows a white square moving from left to right. Wait, the colour "
    "changes over time. Hmm, oh, I see. Let's break it down: first the square is on the left, then it "
    "moves to the right.</think><answer>B</answer>",
    "The quick brown fox jumps over the lazy dog. A man is cooking in the kitchen while a woman reads a book.",
    "How many objects are on the table? What color is the car? Where is the chair relative to the sofa? "
    "What happens after the door opens? Which event occurs first in the video?",
    "The distance between the two objects is 3.5 meters. The room size is 20 square meters. "
    "There are 4 people, 2 dogs and 1 cat. 0 1 2 3 4 5 6 7 8 9 10 42 3.14 100",
    "In this video, we can see a scientist explaining an experiment in a laboratory. The teacher writes "
    "an equation on the board and solves it step by step. Therefore, the answer is C.",
    "First, then, next, finally, because, however, so, therefore, yes, no, true, false, left, right, "
    "up, down, before, after, during, while, inside, outside, above, below, near, far.",
]


def corpus() -> list[str]:
    """The built-in training text (protocol prompts and common English)."""
    return list(_CORPUS)


def _train_tokenizer(vocab_size: int = 1024):
    from tokenizers import (
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        trainers,
    )

    tok = Tokenizer(models.BPE(unk_token=None, fuse_unk=False, byte_fallback=False))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=1,
        show_progress=False,
        special_tokens=[],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    text = corpus()
    tok.train_from_iterator(text * 3, trainer=trainer, length=len(text) * 3)
    from tokenizers import AddedToken

    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in SPECIAL_TOKENS])
    tok.add_tokens([AddedToken(t, special=False, normalized=False) for t in ADDED_TOKENS])
    return tok


def build_tiny_model(out_dir: str | os.PathLike, seed: int = 0) -> Path:
    """Write the tiny checkpoint into `out_dir` (replaced if present); return its path."""
    import torch
    from transformers import (
        GenerationConfig,
        Qwen2_5_VLConfig,
        Qwen2_5_VLForConditionalGeneration,
        Qwen2_5_VLProcessor,
        Qwen2TokenizerFast,
        Qwen2VLImageProcessor,
    )

    out = Path(out_dir).expanduser().resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tiny-", dir=out.parent))
    try:
        tokenizer = Qwen2TokenizerFast(
            tokenizer_object=_train_tokenizer(),
            bos_token=None,
            eos_token="<|im_end|>",
            pad_token="<|endoftext|>",
            unk_token=None,
            errors="replace",
            add_prefix_space=False,
            clean_up_tokenization_spaces=False,
            split_special_tokens=False,
            model_max_length=32768,
            chat_template=CHAT_TEMPLATE,
        )
        ids = {t: tokenizer.convert_tokens_to_ids(t) for t in SPECIAL_TOKENS}
        vocab_size = len(tokenizer)
        vocab_size += (-vocab_size) % 64  # round up like hub checkpoints (rows past the tokenizer unused)

        hidden, heads = 64, 4
        head_dim = hidden // heads
        config = Qwen2_5_VLConfig(
            vocab_size=vocab_size,
            hidden_size=hidden,
            intermediate_size=128,
            num_hidden_layers=2,
            num_attention_heads=heads,
            num_key_value_heads=2,
            hidden_act="silu",
            max_position_embeddings=32768,
            rms_norm_eps=1e-6,
            rope_theta=1000000.0,
            rope_scaling={"type": "mrope", "mrope_section": [2, 3, 3]},  # sums to head_dim/2
            tie_word_embeddings=True,
            use_sliding_window=False,
            # transformers 4.51 applies `sliding_window` whenever it builds a 4D mask, even with
            # use_sliding_window=False; Qwen2.5-VL-7B ships 32768, so do the same (prompts are shorter)
            sliding_window=32768,
            attention_dropout=0.0,
            initializer_range=0.02,
            bos_token_id=ids["<|endoftext|>"],
            eos_token_id=ids["<|im_end|>"],
            pad_token_id=ids["<|endoftext|>"],
            image_token_id=ids["<|image_pad|>"],
            video_token_id=ids["<|video_pad|>"],
            vision_start_token_id=ids["<|vision_start|>"],
            vision_end_token_id=ids["<|vision_end|>"],
            vision_token_id=ids["<|vision_pad|>"],
            torch_dtype="float32",
            vision_config={
                "depth": 2,
                "hidden_size": 32,
                "intermediate_size": 64,
                "num_heads": 2,
                "in_chans": 3,
                "out_hidden_size": hidden,
                "patch_size": 14,
                "spatial_merge_size": 2,
                "temporal_patch_size": 2,
                "window_size": 112,
                "fullatt_block_indexes": [1],
                "tokens_per_second": 2,
                "hidden_act": "silu",
            },
        )
        assert head_dim // 2 == sum(config.rope_scaling["mrope_section"])
        torch.manual_seed(seed)
        model = Qwen2_5_VLForConditionalGeneration(config).eval()
        # the decoding defaults Qwen2.5-VL-7B-Instruct ships (and its fine-tunes keep): generate()
        # falls back on them for whatever a protocol leaves unset, e.g. repetition_penalty 1.05
        model.generation_config = GenerationConfig(
            bos_token_id=ids["<|endoftext|>"],
            eos_token_id=[ids["<|im_end|>"], ids["<|endoftext|>"]],
            pad_token_id=ids["<|endoftext|>"],
            do_sample=True, temperature=0.1, top_p=0.001, top_k=1, repetition_penalty=1.05,
        )
        model.save_pretrained(tmp, safe_serialization=True)

        image_processor = Qwen2VLImageProcessor(
            min_pixels=4 * 28 * 28,
            max_pixels=16384 * 28 * 28,
            patch_size=14,
            temporal_patch_size=2,
            merge_size=2,
            image_mean=[0.48145466, 0.4578275, 0.40821073],
            image_std=[0.26862954, 0.26130258, 0.27577711],
        )
        processor = Qwen2_5_VLProcessor(image_processor=image_processor, tokenizer=tokenizer, chat_template=CHAT_TEMPLATE)
        processor.save_pretrained(tmp)
        (tmp / "TINY_MODEL.json").write_text(json.dumps({"version": TINY_VERSION, "seed": seed}, indent=1) + "\n")
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def default_tiny_model() -> Path:
    """The cached tiny checkpoint (VIDEOR2_CACHE or ~/.cache/videor2), built on first use."""
    from videor2.paths import cache_dir

    path = cache_dir() / f"tiny-qwen2_5_vl-v{TINY_VERSION}-seed0"
    if not (path / "TINY_MODEL.json").is_file():
        build_tiny_model(path, seed=0)
    return path


def add_arguments(parser) -> None:
    parser.add_argument("dir", help="folder to write the checkpoint into (replaced if present)")
    parser.add_argument("--seed", type=int, default=0, help="random-weight seed (default 0)")


def run(args) -> int:
    print(build_tiny_model(args.dir, seed=args.seed))
    return 0
