"""lmms-eval adapters for the Qwen2.5-VL reasoning models: one class, a profile per name.

`--model video_r2 --model_args pretrained=PATH_OR_ID,protocol=unified|paper|native,backend=hf|vllm,...`
The exact prompt the model read (chat template applied) replaces the request's context, so
lmms-eval's sample log `input` shows it; frame sampling, sampling settings, every perception
round's raw output and the finish reason go to <log_dir>/generation.jsonl (log_dir defaults to
<--output_path>/videor2, next to lmms-eval's logs). A sample that cannot be answered
(undecodable video, failed generation) returns the error marker of videor2.errors; the run goes on.
`counterfactual=blank|shuffle|reverse|static|text_only` and `prompt=direct` run the model on a
counterfactual input (models/variants.py); every log line says which.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections import defaultdict
from pathlib import Path

from lmms_eval.api.model import lmms
from tqdm import tqdm

from videor2.tasks.registry import BENCHMARKS, benchmark, benchmark_label
from videor2.errors import VideoError, error_response
from videor2.jsonl import append_jsonl
from videor2.models import requests as rq
from videor2.models.checkpoint import check_checkpoint
from videor2.models.frame_cache import open_frame_cache
from videor2.models.prefetch import Decode, DecodeAhead, PipelineStats, summary_line, write_stats
from videor2.models.profiles import DEFAULT_PROTOCOL, PROTOCOLS, get_profile
from videor2.models.variants import apply_counterfactual, check_counterfactual, check_prompt_mode
from videor2.tasks.common.scoring import AnswerKey


def _bool(value) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def _opt_float(value):
    return None if value in (None, "", "None") else float(value)


def _opt_int(value):
    return None if value in (None, "", "None") else int(value)


def _answer_key(task: str, doc: dict) -> AnswerKey:
    if benchmark_label(task) in BENCHMARKS:
        key = benchmark(task).answer_key(doc)
    else:
        key = AnswerKey(kind="mc", gt=None)  # a task outside the suite: no suffix data
    # the bare question (without options or instructions), for prompts that rebuild the question
    return dataclasses.replace(key, stem=key.stem or str(doc.get("question") or key.question or ""))


class ReasoningVideoLM(lmms):
    """Qwen2.5-VL-family reasoning model under a frame/decoding protocol."""

    PROFILE = "video_r2"

    def __init__(self, pretrained: str | None = None, protocol: str = DEFAULT_PROTOCOL, backend: str = "hf",
                 dtype: str = "auto", attn_implementation: str = "sdpa", batch_size=1, device: str | None = None,
                 fps=None, max_num_frames=None, min_frames=None, min_pixels=None, max_pixels=None,
                 total_pixels=None, stage1_max_frames=None, max_new_tokens=None, temperature=None, top_p=None,
                 top_k=None, repetition_penalty=None, do_sample=None,
                 perception_rounds=None, system_prompt: str | None = None, video_backend: str = "auto",
                 vision_chunk_groups=1, tensor_parallel_size=1, gpu_memory_utilization=0.9,
                 max_model_len=32768, seed=0, record_attention=False, attention_layers="-1",
                 attention_heads="mean", log_dir: str | None = None, counterfactual=None, prompt="think",
                 decode_ahead=8, decode_workers=4, frame_cache="on", frame_cache_max_gb=None, **kwargs):
        super().__init__()
        self.profile = get_profile(self.PROFILE)
        if protocol not in PROTOCOLS:
            raise ValueError(f"protocol must be one of {PROTOCOLS}, got {protocol!r}")
        self.protocol = protocol
        self.pretrained = check_checkpoint(pretrained or self.profile.hub_id)
        self.batch_size_per_gpu = max(1, int(batch_size or 1))
        self.video_backend = video_backend
        # decode-ahead and the frame cache (models/prefetch.py, models/frame_cache.py)
        self.decode_ahead, self.decode_workers = max(0, int(decode_ahead)), max(1, int(decode_workers))
        self.frame_cache = open_frame_cache(frame_cache, frame_cache_max_gb)
        self.pipeline, self._ahead = PipelineStats(), None
        self.overrides = {
            "fps": _opt_float(fps), "max_frames": _opt_int(max_num_frames), "min_frames": _opt_int(min_frames),
            "min_pixels": _opt_int(min_pixels), "max_pixels": _opt_int(max_pixels), "total_pixels": _opt_int(total_pixels),
            "stage1_max_frames": _opt_int(stage1_max_frames),
            "max_new_tokens": _opt_int(max_new_tokens), "temperature": _opt_float(temperature),
            "top_p": _opt_float(top_p), "top_k": _opt_int(top_k), "repetition_penalty": _opt_float(repetition_penalty),
            "do_sample": None if do_sample is None else _bool(do_sample),
            "system_prompt": system_prompt,
        }
        self.perception_rounds = _opt_int(perception_rounds)  # None: the protocol's, per benchmark
        self.seed = int(seed)
        self.counterfactual = check_counterfactual(counterfactual)  # models/variants.py
        self.prompt_mode = check_prompt_mode(prompt)
        if protocol == "paper" and (self.perception_rounds or 1) > 1:
            raise ValueError("perception_rounds > 1 is not part of the paper protocol (the fork runs one round); "
                             "use protocol=native or unified")
        # what generate() falls back on for values the protocol leaves unset (read once)
        self.checkpoint_sampling = checkpoint_decoding(self.pretrained)
        self._setup_parallel(device)
        self._set_log_dir(Path(log_dir or _default_log_dir()))
        if backend == "hf":
            from videor2.models.hf_backend import TransformersBackend

            self.backend = TransformersBackend(self.pretrained, dtype=dtype, attn_implementation=attn_implementation,
                                               device=self._device, vision_chunk_groups=int(vision_chunk_groups))
        elif backend == "vllm":
            from videor2.models.vllm_backend import VLLMBackend

            if _bool(record_attention):
                raise ValueError("record_attention needs backend=hf (vLLM does not expose attention); score vLLM "
                                 "outputs afterwards with `videor2 vas` / diagnose --from-logs")
            self.backend = VLLMBackend(self.pretrained, dtype=dtype, tensor_parallel_size=int(tensor_parallel_size),
                                       gpu_memory_utilization=float(gpu_memory_utilization),
                                       max_model_len=int(max_model_len), seed=int(seed))
        else:
            raise ValueError(f"backend must be hf or vllm, got {backend!r}")
        self.probe = None
        if _bool(record_attention):
            from videor2.diagnostics.vas import AttentionRecorder

            self.probe = AttentionRecorder.for_backend(self.backend, layers=attention_layers, heads=attention_heads,
                                                       out_dir=str(self.log_dir / "attention"))

    def _set_log_dir(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.generation_log = self.log_dir / ("generation.jsonl" if self.world_size == 1 else f"generation.rank{self.rank}.jsonl")
        self.pipeline_log = self.log_dir / ("pipeline.json" if self.world_size == 1 else f"pipeline.rank{self.rank}.json")
        if getattr(self, "probe", None) is not None:
            self.probe.out_dir = self.log_dir / "attention"
            self.probe.out_dir.mkdir(parents=True, exist_ok=True)

    def set_variant(self, counterfactual=None, prompt="think", log_dir: str | None = None) -> None:
        """Switch the loaded model to another input variant (diagnose runs every variant of
        --counterfactual/--ablate-prompt on one loaded model), logging under `log_dir`."""
        self.counterfactual = check_counterfactual(counterfactual)
        self.prompt_mode = check_prompt_mode(prompt)
        if log_dir is not None:
            self._set_log_dir(Path(log_dir))
            self.pipeline = PipelineStats()  # each log folder's pipeline.json describes its own pass

    def _setup_parallel(self, device):
        import torch
        from accelerate import Accelerator

        accelerator = Accelerator()
        self.accelerator = accelerator
        rank, world = accelerator.process_index, accelerator.num_processes
        if world == 1 and torch.distributed.is_available() and torch.distributed.is_initialized():
            # without CUDA, accelerate's state (already built by lmms-eval's __main__) says one process
            # although the launcher started several and torch.distributed spans them (gloo)
            rank, world = torch.distributed.get_rank(), torch.distributed.get_world_size()
        if world > 1:
            self._rank, self._world_size = rank, world
            self._device = device if device and device != "cuda" else (
                f"cuda:{accelerator.local_process_index}" if torch.cuda.is_available() else "cpu")
        else:
            self._device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        # lmms-eval's evaluator reads `lm.device` for its cross-rank collectives (world size > 1)
        self.device = torch.device(self._device)

    @property
    def batch_size(self):
        return self.batch_size_per_gpu

    # ------------------------------------------------------------------ generation

    def generate_until(self, requests) -> list[str]:
        outputs: list[str | None] = [None] * len(requests)
        # lmms-eval pads the shorter rank with copies of its last request: answer those with nothing
        real = [i for i, r in enumerate(requests) if not (getattr(r, "metadata", None) or {}).get("__padding_only__")]
        for i in set(range(len(requests))) - set(real):
            outputs[i] = ""
        bar = tqdm(total=len(real), desc=f"{self.PROFILE} generating", disable=self.rank != 0)
        # round 1 of the next requests decodes while the model answers these (a whole batch at once)
        ahead = max(self.decode_ahead, self.batch_size_per_gpu) if self.decode_ahead else 0
        with DecodeAhead([self._first_decode(requests[i]) for i in real], ahead=ahead, workers=self.decode_workers,
                         cache=self.frame_cache, stats=self.pipeline) as self._ahead:
            for start in range(0, len(real), self.batch_size_per_gpu):
                chunk = real[start:start + self.batch_size_per_gpu]
                for i, text in zip(chunk, self._answer([requests[i] for i in chunk])):
                    outputs[i] = text
                bar.update(len(chunk))
        self._ahead = None
        bar.close()
        self._report_pipeline()
        return outputs

    def _first_decode(self, req) -> Decode | None:
        """What `_answer` will decode for round 1 of `req` (None: no video, or text_only)."""
        doc_to_visual, doc_id, task, split = req.args[2:6]
        visuals = doc_to_visual(self.task_dict[task][split][doc_id])
        if not visuals or self.counterfactual == "text_only":
            return None
        frames = rq.frame_settings(self.profile, self.protocol, self.overrides, benchmark_label(task))
        return Decode.of(str(visuals[0]), self.protocol, frames, self.video_backend)

    def _sampled(self, r, frames: dict, windows) -> None:
        """Give request `r` its frames: round 1's from decode-ahead, others decoded now (later rounds
        depend on the previous round's output), through the frame cache. Raises VideoError."""
        start = time.perf_counter()
        try:
            if r.round == 1 and self._ahead is not None:
                video = self._ahead.take(Decode.of(r.video_path, self.protocol, frames, self.video_backend))
                if video is not None:
                    r.video = video
                    return
            try:
                rq.sample(r, self.protocol, frames, key_windows=windows, backend=self.video_backend,
                          cache=self.frame_cache)
            finally:
                self.pipeline.decoded(start, time.perf_counter())
        finally:
            self.pipeline.waited(time.perf_counter() - start)

    def _report_pipeline(self) -> None:
        """Decode and model time so far, to <log_dir>/pipeline.json and one log line."""
        stats = {**self.pipeline.as_dict(), "decode_ahead": self.decode_ahead, "decode_workers": self.decode_workers,
                 "cache": self.frame_cache.info() if self.frame_cache is not None else None}
        write_stats(self.pipeline_log, stats)
        if self.rank == 0:
            from loguru import logger

            logger.info(summary_line(stats))

    def _answer(self, reqs) -> list[str]:
        """Answer a batch of lmms-eval instances through all perception rounds."""
        states = []
        for req in reqs:
            ctx, gen_kwargs, doc_to_visual, doc_id, task, split = req.args[:6]
            doc = self.task_dict[task][split][doc_id]
            visuals = doc_to_visual(doc)
            state = {"req": req, "task": task, "doc_id": doc_id, "ctx": ctx, "gen_kwargs": dict(gen_kwargs or {}),
                     "key": _answer_key(task, doc), "video_path": str(visuals[0]) if visuals else "",
                     "benchmark": benchmark_label(task), "windows": None, "rounds": [], "result": None, "status": "ok",
                     "n_rounds": self.perception_rounds or self.profile.rounds(self.protocol, benchmark_label(task))}
            if self.counterfactual == "text_only":
                state["n_rounds"] = 1  # perception rounds pick frames; without video there is nothing to pick
            if not visuals:
                state["result"] = error_response("video_error", f"document {doc_id} of {task} has no video")
                state["status"] = "video_error"
                self._no_attention(state, "video_error", state["result"])
            states.append(state)
        for round_index in range(1, max((s["n_rounds"] for s in states), default=0) + 1):
            live = [s for s in states if s["result"] is None and round_index <= s["n_rounds"]]
            built = []
            for s in live:
                r = rq.build_request(self.profile, self.protocol, task=s["task"], doc_id=s["doc_id"], context=s["ctx"],
                                     key=s["key"], video_path=s["video_path"], gen_kwargs=s["gen_kwargs"],
                                     overrides=self.overrides, round_index=round_index,
                                     final_round=round_index == s["n_rounds"], checkpoint=self.checkpoint_sampling,
                                     prompt_mode=self.prompt_mode)
                if self.counterfactual == "text_only":
                    r.text_only = True
                    built.append((s, r))
                    continue
                try:
                    frames = rq.frame_settings(self.profile, self.protocol, self.overrides, s["benchmark"])
                    self._sampled(r, frames, s["windows"])
                except VideoError as exc:
                    s["result"], s["status"] = error_response("video_error", str(exc)), "video_error"
                    self._no_attention(s, "video_error", str(exc))
                    continue
                if self.counterfactual is not None:
                    r.video, r.meta["variant"] = apply_counterfactual(r.video, self.counterfactual, task=s["task"],
                                                                      doc_id=s["doc_id"], seed=self.seed)
                built.append((s, r))
            # the last round records attention; all samples of a batch share their round number
            final_batch = [(s, r) for s, r in built if r.round == s["n_rounds"]]
            glue_batch = [(s, r) for s, r in built if r.round != s["n_rounds"]]
            for batch, final in ((glue_batch, False), (final_batch, True)):
                record = final and self.counterfactual != "text_only"  # no video tokens to attend to
                for (s, r), gen in zip(batch, self._generate([r for _, r in batch], record=record)):
                    s["rounds"].append(self._round_log(r, gen))
                    if isinstance(gen, Exception):
                        s["result"] = error_response("generation_error", f"{type(gen).__name__}: {gen}")
                        s["status"] = "generation_error"
                        self._no_attention(s, "generation_error", s["result"])
                    elif final:
                        if self.counterfactual == "text_only":
                            self._no_attention(s, "text_only", "text_only counterfactual: no video tokens")
                        s["result"] = gen.text
                        s["status"] = "truncated" if gen.finish_reason == "length" else "ok"
                    else:
                        windows = rq.parse_glue(gen.text)
                        if windows is not rq.NO_GLUE:  # no <glue>: keep the previous round's windows
                            s["windows"] = windows
        entries = [self._sample_log(s) for s in states]
        append_jsonl(self.generation_log, entries)
        for s, entry in zip(states, entries):
            if entry["prompt"]:
                s["req"].arguments = (entry["prompt"], *tuple(s["req"].arguments)[1:])
        return [s["result"] for s in states]

    def _no_attention(self, state: dict, status: str, reason: str) -> None:
        """Say in the attention index why a sample has no sidecar."""
        if self.probe is not None:
            self.probe.log({"task": state["task"], "doc_id": state["doc_id"], "status": status, "reason": reason})

    def _generate(self, built: list, record: bool = True) -> list:
        """Generations for requests, batched by identical sampling; a failing batch is retried
        one by one so one bad sample cannot sink the others."""
        results: list = [None] * len(built)
        groups = defaultdict(list)
        for i, r in enumerate(built):
            groups[tuple(sorted(r.sampling.items()))].append(i)
        for idx in groups.values():
            try:
                for i, g in zip(idx, self._backend_generate([built[i] for i in idx], record)):
                    results[i] = g
            except Exception as exc:  # noqa: BLE001 - isolate per sample below
                if len(idx) == 1:
                    results[idx[0]] = exc
                    continue
                for i in idx:
                    try:
                        results[i] = self._backend_generate([built[i]], record)[0]
                    except Exception as one_exc:  # noqa: BLE001
                        results[i] = one_exc
        return results

    def _backend_generate(self, built, record: bool):
        start = time.perf_counter()
        try:
            if self.probe is not None and record:
                return self.probe.generate(built)
            return self.backend.generate(built)
        finally:
            self.pipeline.generated(start, time.perf_counter())

    def _round_log(self, r, gen) -> dict:
        v = r.video
        frames = {"count": 0, "text_only": True} if v is None else {
            "count": int(len(v.indices)), "size": list(v.size), "sample_fps": float(v.sample_fps),
            "source_fps": float(v.source_fps), "duration": float(v.duration), "first_index": int(v.indices[0]),
            "last_index": int(v.indices[-1]), "backend": v.backend, **r.meta.get("variant", {})}
        entry = {"round": r.round, "prompt": self.backend.prompt(r), "sampling": r.sampling, "frames": frames}
        if isinstance(gen, Exception):
            entry["error"] = f"{type(gen).__name__}: {gen}"
        else:
            entry.update(output=gen.text, finish_reason=gen.finish_reason, n_tokens=len(gen.token_ids))
        return entry

    def _sample_log(self, s) -> dict:
        return {"task": s["task"], "doc_id": s["doc_id"], "model": self.PROFILE, "pretrained": self.pretrained, "protocol": self.protocol,
                "counterfactual": self.counterfactual, "prompt_mode": self.prompt_mode, "status": s["status"], "rounds": s["rounds"],
                "prompt": s["rounds"][-1]["prompt"] if s["rounds"] else None}

    def generate_until_multi_round(self, requests) -> list[str]:
        raise NotImplementedError("multi-round chat tasks are not part of the Video-R2 protocol")

    def loglikelihood(self, requests):
        raise NotImplementedError("the reasoning adapters only generate")


def checkpoint_decoding(pretrained: str) -> dict:
    """What a checkpoint's generation_config.json sets for decoding (transformers' defaults for
    anything it leaves out; the library defaults when there is no file)."""
    from transformers import GenerationConfig

    try:
        gc = GenerationConfig.from_pretrained(pretrained)
    except OSError:
        gc = GenerationConfig()
    return {"do_sample": bool(gc.do_sample), "temperature": float(gc.temperature if gc.temperature is not None else 1.0),
            "top_p": float(gc.top_p if gc.top_p is not None else 1.0), "top_k": int(gc.top_k or 0),
            "repetition_penalty": float(gc.repetition_penalty or 1.0)}


def _default_log_dir() -> str:
    """Next to lmms-eval's logs: <--output_path>/videor2 (lmms-eval does not tell models its
    output path, so it is read from the command line), else ./videor2_logs."""
    argv = sys.argv
    for i, a in enumerate(argv):
        if a == "--output_path" and i + 1 < len(argv):
            return f"{argv[i + 1]}/videor2"
        if a.startswith("--output_path="):
            return f"{a.split('=', 1)[1]}/videor2"
    return "videor2_logs"


class VideoR2(ReasoningVideoLM):
    PROFILE = "video_r2"


class VideoR1(ReasoningVideoLM):
    PROFILE = "video_r1"


class VideoRFT(ReasoningVideoLM):
    PROFILE = "videorft"


class VideoChatR15(ReasoningVideoLM):
    PROFILE = "videochat_r1_5"


class Qwen25VLCoT(ReasoningVideoLM):
    PROFILE = "qwen2_5_vl_cot"
