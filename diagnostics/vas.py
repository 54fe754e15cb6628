"""Video Attention Score from the model itself: token-wise attention mass on video tokens.

Definition (docs/VAS.md has a worked example). For a prompt of length P and generated tokens
g_1..g_n, the query producing g_i sits at position P+i-2. At the selected layer, its softmax
attention row a_h(.) over key positions 0..P+i-2 is taken for every head h and split into
  video     = sum of a_h(j) over video-token positions (<|video_pad|> in input_ids),
  text      = over the other prompt positions (system prompt, question, template tokens),
  generated = over earlier generated tokens,
each averaged over heads (or the max over heads) and multiplied by 100; the three sum to 100.

How: the selected layer's attention module keeps its SDPA/flash kernel; a wrapper recomputes
ONLY the rows needed (the last prompt query during prefill, the one new query per decode step,
or the response queries when scoring saved text) from the query projection and the KV cache,
and reduces each row to the three shares at once. No other layer changes; nothing of size
layers x heads x T^2 is ever held.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import torch

from videor2.diagnostics import vas_store
from videor2.jsonl import append_jsonl
from videor2.tasks.common.answers import _CLOSE, _OPEN

ROW_BLOCK = 32  # query rows computed together (teacher forcing); memory ~ 2 x 8 B x heads x 32 x T


# ---------------------------------------------------------------- the arithmetic (one code path)

def attention_shares(probs: torch.Tensor, video_mask: torch.Tensor, prompt_len: int, heads: str = "mean") -> torch.Tensor:
    """Reduce attention rows to shares in percent.

    probs: [B, H, Q, T] softmax rows (masked keys have probability 0); video_mask: [B, >=P] bool or
    float (1 at video-token positions of the prompt); keys at positions >= prompt_len are generated
    tokens. Returns [B, Q, 3] (video, text, generated), aggregated over heads by mean or max.
    """
    P = prompt_len
    video = torch.einsum("bhqp,bp->bhq", probs[..., :P], video_mask[:, :P].to(probs.dtype))
    generated = probs[..., P:].sum(-1)
    text = probs[..., :P].sum(-1) - video
    shares = torch.stack([video, text, generated], dim=-1) * 100.0  # [B, H, Q, 3]
    if heads == "mean":
        return shares.mean(dim=1)
    if heads == "max":
        return shares.max(dim=1).values
    raise ValueError(f"head aggregation must be mean or max, got {heads!r}")


def attention_rows(attn_module, hidden_states: torch.Tensor, position_embeddings, keys: torch.Tensor,
                   query_positions: torch.Tensor, key_valid: torch.Tensor | None) -> torch.Tensor:
    """Softmax rows of `attn_module` for the given queries against all cached keys, in float64.

    hidden_states: [B, Q, D] inputs of the layer's attention for the queries; position_embeddings:
    (cos, sin) for those queries; keys: [B, KV, T, d] post-rotary keys (float64 avoids a copy);
    query_positions: [Q] absolute positions; key_valid: [B, T] bool (False at padding) or None when
    nothing is padded. Returns [B, H, Q, T]. float64 makes the numbers independent of how many
    rows are computed together (generation computes one per step, teacher forcing a block).
    """
    from transformers.models.qwen2_5_vl.modeling_qwen2_5_vl import apply_multimodal_rotary_pos_emb

    m = attn_module
    bsz, q_len, _ = hidden_states.shape
    q = m.q_proj(hidden_states).view(bsz, q_len, -1, m.head_dim).transpose(1, 2)
    cos, sin = position_embeddings
    # rotate q only (k is already rotated in the cache); the helper rotates a pair, pass q twice
    q, _ = apply_multimodal_rotary_pos_emb(q, q, cos, sin, m.rope_scaling["mrope_section"])
    kv, T = keys.shape[1], keys.shape[-2]
    groups = q.shape[1] // kv
    # grouped-query attention without materialising repeated keys: head h reads kv head h // groups
    q = q.double().reshape(bsz, kv, groups * q_len, m.head_dim)
    scores = torch.matmul(q, keys.double().transpose(-1, -2)).view(bsz, kv * groups, q_len, T)
    scores.mul_(1.0 / math.sqrt(m.head_dim))
    last = int(query_positions[-1])
    if q_len > 1 or last < T - 1:
        causal = torch.arange(T, device=keys.device)[None, :] > query_positions[:, None].to(keys.device)  # [Q, T]
        scores.masked_fill_(causal[None, None], float("-inf"))
    if key_valid is not None:
        scores.masked_fill_(~key_valid[:, None, None, :T].to(keys.device), float("-inf"))
    return torch.softmax(scores, dim=-1)


class _KeyBuffer:
    """A float64 copy of one layer's cached keys, appended in place as the cache grows."""

    def __init__(self):
        self.buf, self.n = None, 0

    def update(self, keys: torch.Tensor) -> torch.Tensor:
        B, KV, T, d = keys.shape
        if self.buf is None or T < self.n or self.buf.shape[2] < T:
            old = self.buf[:, :, : self.n] if self.buf is not None and T >= self.n else None
            self.buf = torch.empty(B, KV, max(2 * T, T + 1024), d, dtype=torch.float64, device=keys.device)
            if old is not None:
                self.buf[:, :, : self.n] = old
            else:
                self.n = 0
        if T > self.n:
            self.buf[:, :, self.n:T] = keys[:, :, self.n:T]
            self.n = T
        return self.buf[:, :, :T]


# ---------------------------------------------------------------- statistics

def box_stats(values) -> dict:
    """Box-plot statistics (matplotlib's convention: whiskers at the last datum within 1.5 IQR)."""
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        return {"n_tokens": 0, "mean": None, "median": None, "q1": None, "q3": None, "whislo": None, "whishi": None}
    q1, med, q3 = np.percentile(v, [25, 50, 75])
    iqr = q3 - q1
    lo_candidates = v[v >= q1 - 1.5 * iqr]
    hi_candidates = v[v <= q3 + 1.5 * iqr]
    return {"n_tokens": int(v.size), "mean": float(v.mean()), "median": float(med), "q1": float(q1), "q3": float(q3),
            "whislo": float(lo_candidates.min()) if lo_candidates.size else float(v.min()),
            "whishi": float(hi_candidates.max()) if hi_candidates.size else float(v.max())}


def token_char_spans(tokenizer, token_ids: list[int]) -> list[tuple[int, int]]:
    """Character span of each generated token in the decoded text (incremental decoding)."""
    spans, prev = [], 0
    for k in range(1, len(token_ids) + 1):
        end = len(tokenizer.decode(token_ids[:k], skip_special_tokens=True))
        spans.append((prev, max(prev, end)))
        prev = max(prev, end)
    return spans


def _block_span(text: str, tag: str) -> tuple[int, int] | None:
    """Character span of the last <tag> block, tags included; open-ended if never closed."""
    opens = list(_OPEN[tag].finditer(text))
    if not opens:
        if tag == "think":
            closes = list(_CLOSE[tag].finditer(text))
            return (0, closes[-1].end()) if closes else None
        return None
    start = opens[-1].start()
    close = next((c for c in _CLOSE[tag].finditer(text) if c.start() >= opens[-1].end()), None)
    return (start, close.end() if close else len(text))


def span_tokens(char_spans: list[tuple[int, int]], span: tuple[int, int] | None) -> tuple[int, int] | None:
    """[start, end) token range overlapping a character span."""
    if span is None:
        return None
    idx = [i for i, (s, e) in enumerate(char_spans) if e > span[0] and s < span[1]]
    return (idx[0], idx[-1] + 1) if idx else None


def summarise(series: np.ndarray, think: tuple[int, int] | None, answer: tuple[int, int] | None) -> dict:
    """Per-sample statistics of the video share: all tokens, the <think> span, the <answer> span."""
    out = box_stats(series)
    out["think"] = box_stats(series[think[0]:think[1]]) if think else box_stats([])
    out["answer"] = box_stats(series[answer[0]:answer[1]]) if answer else box_stats([])
    return out


# ---------------------------------------------------------------- the probe

def parse_layers(layers, n_layers: int) -> list[int]:
    items = layers if isinstance(layers, (list, tuple)) else str(layers).replace(";", ",").replace(" ", ",").split(",")
    out = []
    for item in items:
        if str(item).strip() == "":
            continue
        i = int(float(item))  # lmms-eval parses "-1" in model_args as -1.0
        j = i + n_layers if i < 0 else i
        if not 0 <= j < n_layers:
            raise ValueError(f"layer {i} out of range for a model with {n_layers} decoder layers")
        out.append(j)
    if not out:
        raise ValueError("no attention layer selected")
    return sorted(set(out))


@dataclass
class _Capture:
    """Shares per layer for the rows computed so far: list of [B, q, 3] tensors."""
    rows: dict = field(default_factory=dict)


class AttentionProbe:
    """Installs row-recording wrappers on selected decoder layers of a Qwen2.5-VL model."""

    def __init__(self, model, layers="-1", heads: str = "mean"):
        self.model = model
        decoder_layers = model.model.layers
        self.layers = parse_layers(layers, len(decoder_layers))
        if heads not in ("mean", "max"):
            raise ValueError(f"heads must be mean or max, got {heads!r}")
        self.heads = heads
        self.video_token_id = model.config.video_token_id
        self.active = False
        self.mode = "last"           # "last": only the last query row; "all": every query row
        self.video_mask = None       # [B, P]
        self.prompt_len = 0
        self.key_valid = None        # [B, P] prompt padding mask; generated keys are always valid
        self.capture = _Capture()
        self._warned = False
        for idx in self.layers:
            self._wrap(decoder_layers[idx].self_attn, idx)

    def _wrap(self, attn, idx: int) -> None:
        if getattr(attn, "_videor2_probe", None) is not None:
            attn._videor2_probe = self
            return
        original = attn.forward
        attn._videor2_probe = self

        def forward(*args, **kwargs):
            out = original(*args, **kwargs)
            probe = attn._videor2_probe
            if probe is not None and probe.active:
                probe._record(attn, idx, kwargs)
            return out

        attn.forward = forward

    def _record(self, attn, idx, kwargs) -> None:
        hidden = kwargs["hidden_states"]
        cache = kwargs["past_key_value"]
        cache_position = kwargs["cache_position"]
        cos, sin = kwargs["position_embeddings"]
        if self.mode == "last":
            hidden, cos, sin = hidden[:, -1:], cos[..., -1:, :], sin[..., -1:, :]
            positions = cache_position[-1:]
        else:
            positions = cache_position
        keys = cache.key_cache[attn.layer_idx]
        T = keys.shape[-2]
        window = getattr(self.model.config, "sliding_window", None)
        if window and T > window and not self._warned:
            self._warned = True
            warnings.warn(f"sequence of {T} tokens exceeds the model's sliding_window={window}: the probe assumes "
                          "full causal attention, which transformers may not apply to every layer here")
        keys64 = self._keys.setdefault(idx, _KeyBuffer()).update(keys)
        valid = None
        if self.padded:
            valid = torch.ones(keys.shape[0], T, dtype=torch.bool, device=keys.device)
            valid[:, : self.key_valid.shape[1]] = self.key_valid
        # blocks of query rows bound the probe's memory when scoring many tokens at once
        for s in range(0, hidden.shape[1], ROW_BLOCK):
            e = s + ROW_BLOCK
            probs = attention_rows(attn, hidden[:, s:e], (cos[..., s:e, :], sin[..., s:e, :]), keys64,
                                   positions[s:e], valid)
            shares = attention_shares(probs, self.video_mask, self.prompt_len, self.heads)
            self.capture.rows.setdefault(idx, []).append(shares.detach().to("cpu", torch.float64))

    def begin(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> None:
        self.active, self.mode = True, "last"
        self.prompt_len = input_ids.shape[1]
        self.video_mask = (input_ids == self.video_token_id).to(torch.float64)
        self.key_valid = attention_mask.bool()
        self.padded = not bool(self.key_valid.all())
        self.capture = _Capture()
        self._keys = {}

    def end(self) -> np.ndarray:
        """[B, n_rows, 3] shares, averaged over the selected layers."""
        self.active, self._keys = False, {}
        per_layer = [torch.cat(self.capture.rows[i], dim=1) for i in self.layers if i in self.capture.rows]
        if not per_layer:
            raise RuntimeError("the attention probe recorded nothing (was the model run between begin and end?)")
        return torch.stack(per_layer).mean(0).numpy()


class _last_logits_only:
    """Scoring needs no logits: the LM head maps only the last position (saves vocab x T floats)."""

    def __init__(self, model):
        self.head = model.lm_head

    def __enter__(self):
        self.original = self.head.forward
        original = self.original
        self.head.forward = lambda hidden: original(hidden[:, -1:])
        return self

    def __exit__(self, *exc):
        self.head.forward = self.original
        return False


def teacher_forced_shares(backend, request, response_ids: list[int], probe: AttentionProbe, chunk: int = 512) -> tuple:
    """Way (b): prefill the prompt with the backend's attention kernel and a KV cache, then score
    the response tokens in chunks computing only the selected layers' rows. Returns
    (batch, shares [n, 3])."""
    from transformers import DynamicCache

    batch = backend.inputs([request])
    model = backend.model
    n = len(response_ids)
    if n == 0:
        raise ValueError("empty response: nothing to score")
    probe.begin(batch["input_ids"], batch["attention_mask"])
    try:
        with torch.inference_mode(), _last_logits_only(model):
            model.rope_deltas = None
            cache = DynamicCache()
            P = batch["input_ids"].shape[1]
            model(**batch, past_key_values=cache, use_cache=True,
                  cache_position=torch.arange(P, device=backend.device))
            probe.mode = "all"
            ids = torch.tensor([response_ids[:-1]], device=backend.device)
            for start in range(0, ids.shape[1], chunk):
                piece = ids[:, start:start + chunk]
                pos = torch.arange(P + start, P + start + piece.shape[1], device=backend.device)
                mask = torch.ones(1, P + start + piece.shape[1], dtype=batch["attention_mask"].dtype, device=backend.device)
                mask[:, :P] = batch["attention_mask"]
                model(input_ids=piece, attention_mask=mask, past_key_values=cache, use_cache=True,
                      cache_position=pos)
    finally:
        shares = probe.end()
    return batch, shares[0][:n]


def score_response(backend, request, response_ids: list[int], probe: AttentionProbe, chunk: int = 512) -> dict:
    """The attention record (`sample_record`) of a given response to a request, by teacher forcing.
    The one path for saved responses: diagnose --from-logs, `videor2 vas --response`, scripts/bench_vas.py."""
    batch, shares = teacher_forced_shares(backend, request, response_ids, probe, chunk=chunk)
    prompt_ids = batch["input_ids"][0].tolist()
    video = [i for i, t in enumerate(prompt_ids) if t == backend.video_token_id]
    return sample_record(backend.processor.tokenizer, response_ids, shares, prompt_ids=prompt_ids,
                         video_positions=video, layers=probe.layers, heads=probe.heads, way="teacher_forcing")


def generation_record(backend, gen, probe: AttentionProbe) -> dict:
    """The attention record of a response generated through the probe (`backend.generate(..., probe=)`)."""
    return sample_record(backend.processor.tokenizer, gen.token_ids, gen.shares, prompt_ids=gen.prompt_ids,
                         video_positions=gen.video_positions, layers=probe.layers, heads=probe.heads,
                         way="generation")


# ---------------------------------------------------------------- records and the recorder

def sample_record(tokenizer, response_ids: list[int], shares: np.ndarray, *, prompt_ids: list[int],
                  video_positions: list[int], layers: list[int], heads: str, way: str) -> dict:
    """Everything needed to recompute a sample's numbers independently, plus its statistics."""
    text = tokenizer.decode(response_ids, skip_special_tokens=True)
    spans = token_char_spans(tokenizer, response_ids)
    think = span_tokens(spans, _block_span(text, "think"))
    answer = span_tokens(spans, _block_span(text, "answer"))
    shares = np.asarray(shares, dtype=np.float64)
    stats = summarise(shares[:, 0], think, answer)
    return {
        "series": {"video": shares[:, 0], "text": shares[:, 1], "generated": shares[:, 2]},
        "think_span": think, "answer_span": answer, "stats": stats,
        "meta": {"layers": layers, "heads": heads, "way": way, "prompt_len": len(prompt_ids),
                 "n_video_tokens": len(video_positions), "video_positions": _ranges(video_positions),
                 "prompt_ids": list(prompt_ids), "response_ids": list(response_ids),
                 "tokens": [tokenizer.decode([t]) for t in response_ids], "stats": stats},
    }


def _ranges(positions: list[int]) -> list[list[int]]:
    """Compact [start, end) runs of sorted positions (the video block is one or a few runs)."""
    runs = []
    for p in positions:
        if runs and runs[-1][1] == p:
            runs[-1][1] = p + 1
        else:
            runs.append([p, p + 1])
    return runs


class AttentionRecorder:
    """`record_attention=true` in an adapter: generation through the probe, one sidecar per sample
    (and a line in <out_dir>/index.jsonl for every sample, with the reason when there is none)."""

    def __init__(self, backend, probe: AttentionProbe, out_dir: str):
        from pathlib import Path

        self.backend, self.probe, self.out_dir = backend, probe, Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)

    @classmethod
    def for_backend(cls, backend, layers="-1", heads="mean", out_dir="videor2_attention"):
        if not hasattr(backend, "model"):
            raise ValueError("record_attention needs the transformers backend")
        return cls(backend, AttentionProbe(backend.model, layers=layers, heads=heads), out_dir)

    def generate(self, requests):
        gens = self.backend.generate(requests, probe=self.probe)
        for req, gen in zip(requests, gens):
            self.write(req.task, req.doc_id, gen)
        return gens

    def write(self, task: str, doc_id, gen) -> None:

        entry = {"task": task, "doc_id": doc_id}
        if len(gen.token_ids) == 0:
            entry.update(status="empty_response", reason="the model generated no token before stopping")
        else:
            rec = generation_record(self.backend, gen, self.probe)
            path = vas_store.save_record(self.out_dir, task, doc_id, rec)
            entry.update(status="ok", sidecar=str(path.relative_to(self.out_dir)), stats=rec["stats"])
        self.log(entry)

    def log(self, entry: dict) -> None:
        append_jsonl(self.out_dir / "index.jsonl", [entry], default=vas_store._jsonable)
