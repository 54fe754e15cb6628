"""transformers backend: Qwen2.5-VL checkpoints (hub id or local folder) on CPU or GPU.

Video is encoded by the vision tower one temporal group (2 frames) at a time by default: its
attention never crosses a group, so this gives the same embeddings while the SDPA mask (dense
over all patches of the call) stays small. Without it 128 frames need tens of GB on any device
without flash-attention; measured on the tiny model at 128 frames of 280x504, encoding takes
0.7 s one group at a time, 1.0 s two, 3.6 s four, 8.1 s eight (`vision_chunk_groups=`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from videor2.models.requests import VideoRequest, prompt_text

ATTN_IMPLEMENTATIONS = ("sdpa", "flash_attention_2", "eager")


@dataclass
class Generation:
    text: str
    token_ids: list[int]
    finish_reason: str  # "stop" (end-of-turn token) or "length" (max_new_tokens reached)
    shares: object = None          # attention probe: [n, 3] video/text/generated percent per token
    prompt_ids: list | None = None
    video_positions: list | None = None


def resolve_dtype(dtype: str, device: torch.device) -> torch.dtype:
    if dtype in (None, "auto"):
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    table = {"float32": torch.float32, "fp32": torch.float32, "bfloat16": torch.bfloat16, "bf16": torch.bfloat16,
             "float16": torch.float16, "fp16": torch.float16,
             "float64": torch.float64, "fp64": torch.float64}  # float64: exactness checks on CPU
    if dtype not in table:
        raise ValueError(f"dtype must be one of auto, {', '.join(table)}; got {dtype!r}")
    return table[dtype]


def enable_chunked_vision(model, groups_per_chunk: int = 1) -> None:
    """Make the vision tower encode each video `groups_per_chunk` temporal groups at a time."""
    visual = model.visual
    if getattr(visual, "_videor2_chunked", False) or groups_per_chunk <= 0:
        return
    original = visual.forward

    def forward(hidden_states: torch.Tensor, grid_thw: torch.Tensor) -> torch.Tensor:
        outputs, offset = [], 0
        for t, h, w in grid_thw.tolist():
            for start in range(0, t, groups_per_chunk):
                g = min(groups_per_chunk, t - start)
                n = g * h * w
                chunk_grid = torch.tensor([[g, h, w]], dtype=grid_thw.dtype, device=grid_thw.device)
                outputs.append(original(hidden_states[offset:offset + n], chunk_grid))
                offset += n
        return torch.cat(outputs, dim=0)

    visual.forward = forward
    visual._videor2_chunked = True


class TransformersBackend:
    def __init__(self, pretrained: str, *, dtype: str = "auto", attn_implementation: str = "sdpa",
                 device: str | None = None, vision_chunk_groups: int = 1):
        from transformers import AutoProcessor, Qwen2_5_VLForConditionalGeneration

        if attn_implementation not in ATTN_IMPLEMENTATIONS:
            raise ValueError(f"attn_implementation must be one of {ATTN_IMPLEMENTATIONS}, got {attn_implementation!r}")
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.dtype = resolve_dtype(dtype, self.device)
        self.processor = AutoProcessor.from_pretrained(pretrained)
        self.processor.tokenizer.padding_side = "left"  # batched generation continues from the right end
        self.model = Qwen2_5_VLForConditionalGeneration.from_pretrained(
            pretrained, torch_dtype=self.dtype, attn_implementation=attn_implementation
        ).to(self.device).eval()
        enable_chunked_vision(self.model, vision_chunk_groups)
        tok = self.processor.tokenizer
        self.stop_ids = sorted({i for i in (tok.convert_tokens_to_ids("<|im_end|>"), tok.eos_token_id) if i is not None and i >= 0})
        self.video_token_id = self.model.config.video_token_id

    def prompt(self, request: VideoRequest) -> str:
        return prompt_text(request, self.processor)

    def inputs(self, requests: list[VideoRequest]):
        """Tokenised batch (left padded) with the videos' pixel values and temporal spacing (no
        video inputs for a `text_only` batch; a batch is all one or all the other)."""
        text = [self.prompt(r) for r in requests]
        if any(r.text_only for r in requests):
            if not all(r.text_only for r in requests):
                raise ValueError("a batch mixes text-only and video requests")
            return self.processor(text=text, padding=True, return_tensors="pt").to(self.device)
        batch = self.processor(
            text=text,
            videos=[r.video.frames for r in requests],
            fps=[r.video.sample_fps for r in requests],
            padding=True,
            return_tensors="pt",
        )
        return batch.to(self.device)

    def generation_kwargs(self, sampling: dict) -> dict:
        # Everything explicit: generate() would otherwise fill gaps from the checkpoint's
        # generation_config.json, which vLLM's SamplingParams never read.
        kwargs = {"max_new_tokens": int(sampling["max_new_tokens"]), "eos_token_id": self.stop_ids,
                  "pad_token_id": self.processor.tokenizer.pad_token_id,
                  "repetition_penalty": float(sampling.get("repetition_penalty") or 1.0)}
        if sampling.get("do_sample"):
            kwargs.update(do_sample=True, temperature=float(sampling.get("temperature", 1.0)),
                          top_p=float(sampling.get("top_p", 1.0)), top_k=int(sampling.get("top_k") or 0))
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        return kwargs

    def generate(self, requests: list[VideoRequest], probe=None) -> list[Generation]:
        """Generate for requests that share sampling settings. With an attention `probe`
        (videor2.diagnostics.vas.AttentionProbe), each Generation also carries `shares`
        [n_tokens, 3] and `prompt_ids`/`video_positions` for the sidecar."""
        batch = self.inputs(requests)
        kwargs = self.generation_kwargs(requests[0].sampling)
        if probe is not None:
            probe.begin(batch["input_ids"], batch["attention_mask"])
        try:
            with torch.inference_mode():
                sequences = self.model.generate(**batch, **kwargs)
        finally:
            shares = probe.end() if probe is not None else None
        prompt_len = batch["input_ids"].shape[1]
        results = []
        for b, row in enumerate(sequences[:, prompt_len:].tolist()):
            ids, finish = [], "length"
            for tok in row:
                if tok in self.stop_ids:
                    finish = "stop"
                    break
                ids.append(tok)
            text = self.processor.tokenizer.decode(ids, skip_special_tokens=True)
            gen = Generation(text=text, token_ids=ids, finish_reason=finish)
            if shares is not None:
                valid = batch["attention_mask"][b].bool()
                prompt_ids = batch["input_ids"][b][valid]
                # rows of the content tokens; the stop token's row is dropped, as text scoring
                # (way b) of the saved response cannot see it
                n = min(len(ids), shares.shape[1])
                gen.shares = shares[b, :n]
                gen.prompt_ids = prompt_ids.tolist()
                gen.video_positions = (prompt_ids == self.video_token_id).nonzero().flatten().tolist()
            results.append(gen)
        return results
