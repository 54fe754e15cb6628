"""Local judges: the vLLM offline engine (`vllm:MODEL`) and transformers (`hf:PATH`).

Both receive the pipeline's concurrent requests through `BatchingBackend`, which gathers whatever
is pending into one batch and runs it on a worker thread. The heavy packages are imported only
when such a judge is built; a missing package raises JudgeUnavailable with the install hint.
Greedy decoding (temperature 0) and a fixed seed, like the openai backend's defaults.
"""

from __future__ import annotations

import asyncio

from videor2.diagnostics.judge.base import ChatBackend, JudgeUnavailable, TransportError


class BatchingBackend(ChatBackend):
    batch_size = 32

    def __init__(self):
        self._pending: list[tuple[list[dict], dict, asyncio.Future]] = []
        self._worker: asyncio.Task | None = None
        self.requests_sent = 0
        self.concurrency = self.batch_size * 2

    async def acomplete(self, messages, sampling):
        fut = asyncio.get_running_loop().create_future()
        self._pending.append((messages, sampling, fut))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.ensure_future(self._drain())
        return await fut

    async def _drain(self):
        while self._pending:
            await asyncio.sleep(0)  # let the other coroutines enqueue theirs
            # one sampling setting per batch (think and grounding differ in max_tokens)
            key = repr(sorted(self._pending[0][1].items()))
            batch = [p for p in self._pending if repr(sorted(p[1].items())) == key][: self.batch_size]
            ids = {id(p) for p in batch}
            self._pending = [p for p in self._pending if id(p) not in ids]
            self.requests_sent += len(batch)
            try:
                outs = await asyncio.to_thread(self.generate_batch, [m for m, _, _ in batch], batch[0][1])
            except Exception as exc:  # noqa: BLE001 - one failed batch fails its requests, not the run
                for _, _, fut in batch:
                    if not fut.done():
                        fut.set_exception(TransportError(f"{self.name} generation failed: {type(exc).__name__}: {exc}"))
                continue
            for (_, _, fut), out in zip(batch, outs):
                if not fut.done():
                    fut.set_result(out)

    def generate_batch(self, conversations: list[list[dict]], sampling: dict) -> list[str]:
        raise NotImplementedError


class VLLMBackend(BatchingBackend):
    """vllm.LLM in this process (tensor_parallel_size etc. pass through `engine_args`)."""

    name = "vllm"
    batch_size = 256

    def __init__(self, model: str, engine_args: dict | None = None):
        super().__init__()
        try:
            import vllm  # noqa: F401
        except ImportError:
            raise JudgeUnavailable(
                "the vllm judge backend needs the vLLM package (pip install 'videor2-harness[gpu]', a CUDA machine); "
                "or serve the judge with `vllm serve MODEL` elsewhere and use --judge openai:http://HOST:8000/v1#MODEL"
            ) from None
        from vllm import LLM

        self.model = model
        self._llm = LLM(model=model, seed=0, **(engine_args or {}))

    def generate_batch(self, conversations, sampling):
        from vllm import SamplingParams

        params = SamplingParams(temperature=sampling.get("temperature", 0.0), top_p=sampling.get("top_p", 1.0),
                                seed=sampling.get("seed", 0), max_tokens=sampling.get("max_tokens", 64))
        outs = self._llm.chat(conversations, params, use_tqdm=False,
                              chat_template_kwargs={"enable_thinking": False})
        return [o.outputs[0].text for o in outs]


class HFBackend(BatchingBackend):
    """transformers AutoModelForCausalLM with its chat template; greedy, left-padded batches."""

    name = "hf"
    batch_size = 8

    def __init__(self, path: str, device: str | None = None, dtype: str = "auto"):
        super().__init__()
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError:
            raise JudgeUnavailable("the hf judge backend needs torch and transformers installed") from None
        self.model = path
        try:
            self._tok = AutoTokenizer.from_pretrained(path, padding_side="left")
            self._lm = AutoModelForCausalLM.from_pretrained(path, torch_dtype=dtype)
        except Exception as exc:  # noqa: BLE001
            raise JudgeUnavailable(f"cannot load the hf judge model {path!r}: {type(exc).__name__}: {exc}") from None
        if self._tok.pad_token is None:
            self._tok.pad_token = self._tok.eos_token
        self._device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self._lm.to(self._device).eval()

    def generate_batch(self, conversations, sampling):
        import torch

        torch.manual_seed(sampling.get("seed", 0))
        prompts = []
        for conv in conversations:
            try:
                prompts.append(self._tok.apply_chat_template(conv, tokenize=False, add_generation_prompt=True,
                                                             enable_thinking=False))
            except Exception:  # noqa: BLE001 - a tokenizer without a chat template
                prompts.append("\n\n".join(f"{m['role']}: {m['content']}" for m in conv) + "\n\nassistant: ")
        enc = self._tok(prompts, return_tensors="pt", padding=True).to(self._device)
        with torch.no_grad():
            out = self._lm.generate(**enc, max_new_tokens=sampling.get("max_tokens", 64), do_sample=False,
                                    pad_token_id=self._tok.pad_token_id)
        new = out[:, enc["input_ids"].shape[1]:]
        return self._tok.batch_decode(new, skip_special_tokens=True)
