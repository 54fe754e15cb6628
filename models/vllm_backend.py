"""vLLM backend (optional `[gpu]` extra): the same requests, rendered by the same chat template.

`vllm_inputs` is plain data built from a `VideoRequest` and the checkpoint's processor; it is what
`LLM.generate` receives and what the CPU tests compare with the transformers backend's inputs.
"""

from __future__ import annotations

from videor2.models.hf_backend import Generation
from videor2.models.requests import VideoRequest, prompt_text


def vllm_inputs(request: VideoRequest, processor) -> dict:
    if request.text_only:
        return {"prompt": prompt_text(request, processor)}
    return {
        "prompt": prompt_text(request, processor),
        "multi_modal_data": {"video": request.video.frames},
        # the temporal spacing Qwen2.5-VL derives from fps (second_per_grid_ts = 2 / fps)
        "mm_processor_kwargs": {"fps": request.video.sample_fps},
    }


def sampling_params_dict(sampling: dict, stop_ids: list[int], seed: int = 0) -> dict:
    greedy = not sampling.get("do_sample") or float(sampling.get("temperature", 0) or 0) == 0
    return {
        "max_tokens": int(sampling["max_new_tokens"]),
        "temperature": 0.0 if greedy else float(sampling["temperature"]),
        "top_p": 1.0 if greedy else float(sampling.get("top_p", 1.0)),
        "top_k": -1 if greedy or not sampling.get("top_k") else int(sampling["top_k"]),
        "repetition_penalty": float(sampling.get("repetition_penalty") or 1.0),
        "stop_token_ids": list(stop_ids),
        "seed": seed,
    }


class VLLMBackend:
    def __init__(self, pretrained: str, *, dtype: str = "auto", tensor_parallel_size: int = 1,
                 gpu_memory_utilization: float = 0.9, max_model_len: int = 32768, max_frames: int = 128, seed: int = 0):
        try:
            from vllm import LLM
        except ImportError as exc:
            raise ImportError(
                "backend=vllm needs vLLM: pip install -e '.[gpu]' on a CUDA machine (or use backend=hf)"
            ) from exc
        from transformers import AutoProcessor

        self.processor = AutoProcessor.from_pretrained(pretrained)
        tok = self.processor.tokenizer
        self.stop_ids = sorted({i for i in (tok.convert_tokens_to_ids("<|im_end|>"), tok.eos_token_id) if i is not None and i >= 0})
        self.seed = seed
        self.llm = LLM(model=pretrained, dtype=dtype, tensor_parallel_size=tensor_parallel_size,
                       gpu_memory_utilization=gpu_memory_utilization, max_model_len=max_model_len,
                       limit_mm_per_prompt={"video": 1}, seed=seed)

    def prompt(self, request: VideoRequest) -> str:
        return prompt_text(request, self.processor)

    def generate(self, requests: list[VideoRequest]) -> list[Generation]:
        from vllm import SamplingParams

        params = SamplingParams(**sampling_params_dict(requests[0].sampling, self.stop_ids, self.seed))
        outputs = self.llm.generate([vllm_inputs(r, self.processor) for r in requests], params, use_tqdm=False)
        results = []
        for out in outputs:
            c = out.outputs[0]
            results.append(Generation(text=c.text, token_ids=list(c.token_ids),
                                      finish_reason="length" if c.finish_reason == "length" else "stop"))
        return results
