"""Judges for Think-Answer Consistency and judged visual grounding (docs/TAC.md).

`make_judge(spec, **opts)` builds one from a spec string:

- `rules`: offline rule extractor (diagnostics.think), no grounding score;
- `openai:BASE_URL[#MODEL]`: any OpenAI-compatible chat-completions server (e.g. `vllm serve`);
  without #MODEL the first model the server lists is used;
- `vllm:MODEL`: the vLLM offline engine in this process (optional `gpu` extra);
- `hf:PATH`: a transformers causal LM (local path or hub id);
- `rules+openai:...`, `rules+vllm:...`, `rules+hf:...`: hybrid. The rule extractor settles the think
  conclusions it finds with confidence >= RULES_THRESHOLD (0.9: explicit letters and \\boxed{}
  values, 98 % right on the labelled dev outputs, scripts/bench_extractor.py); only the rest is sent
  to the LLM judge. The grounding score is always the LLM's.

Options (all optional): cache (path of the on-disk reply cache; None keeps it in memory),
prompt_think / prompt_grounding (files overriding the package templates), concurrency, timeout,
max_retries, api_key_env, api_key, extra_body (dict merged into each openai request), seed,
temperature, check (openai: probe GET /models now, before any work; default True), grounding (False: ask
for think conclusions only, as scripts/bench_extractor.py does; default True).
"""

from __future__ import annotations

from videor2.diagnostics.judge.base import (DEFAULT_SAMPLING, RULES_THRESHOLD, ChatBackend, Judge, JudgeItem,
                                            JudgeUnavailable, LLMJudge, RulesJudge, Stats, TransportError)
from videor2.diagnostics.judge.cache import JudgeCache, cache_key
from videor2.diagnostics.judge.prompts import PromptSet, Template, load_template

__all__ = ["make_judge", "Judge", "RulesJudge", "LLMJudge", "JudgeItem", "JudgeUnavailable", "TransportError", "RULES_THRESHOLD",
           "ChatBackend", "JudgeCache", "cache_key", "PromptSet", "Template", "load_template", "Stats"]


def make_judge(spec: str, **opts) -> Judge:
    spec = (spec or "rules").strip()
    if spec == "rules":
        return RulesJudge()
    hybrid = spec.startswith("rules+")
    kind, sep, rest = spec.removeprefix("rules+").partition(":")
    if not sep or not rest:
        raise ValueError(f"unknown judge spec {spec!r}: use rules, openai:BASE_URL[#MODEL], vllm:MODEL or hf:PATH "
                         f"(or rules+ before one of the last three)")
    prompts = PromptSet.load(opts.get("prompt_think"), opts.get("prompt_grounding"))
    sampling = dict(DEFAULT_SAMPLING)
    if opts.get("temperature") is not None:
        sampling["temperature"] = float(opts["temperature"])
    if opts.get("seed") is not None:
        sampling["seed"] = int(opts["seed"])
    if kind == "openai":
        from videor2.diagnostics.judge.openai_backend import OpenAIBackend, parse_openai_spec

        base, model = parse_openai_spec(rest)
        backend = OpenAIBackend(
            base, model, api_key=opts.get("api_key"), api_key_env=opts.get("api_key_env") or "OPENAI_API_KEY",
            concurrency=opts.get("concurrency") or 16, timeout=opts.get("timeout") or 60.0,
            max_retries=6 if opts.get("max_retries") is None else opts["max_retries"],
            backoff=opts.get("backoff", 0.5), extra_body=opts.get("extra_body"), seed=sampling["seed"])
        if opts.get("check", True):
            backend.check()
    elif kind == "vllm":
        from videor2.diagnostics.judge.local_backends import VLLMBackend

        backend = VLLMBackend(rest, engine_args=opts.get("engine_args"))
    elif kind == "hf":
        from videor2.diagnostics.judge.local_backends import HFBackend

        backend = HFBackend(rest, device=opts.get("device"))
    else:
        raise ValueError(f"unknown judge backend {kind!r} in {spec!r}: use rules, openai:, vllm: or hf:")
    # the recorded spec names the model even when the server picked it
    return LLMJudge(backend=backend, prompts=prompts, cache=JudgeCache(opts.get("cache")), spec=spec,
                    sampling=sampling, rules_first=hybrid, has_grounding=opts.get("grounding", True))
