"""The judge pipeline: per sample, the think's last explicit conclusion and the 0-10 grounding score.

`RulesJudge` is the offline default (diagnostics.think; no grounding score). `LLMJudge` renders the
prompt templates, asks a chat backend (openai / vllm / hf) through the on-disk cache, parses the
reply, sends ONE stricter follow-up when the reply cannot be parsed, and otherwise marks the part
`judge_error` (never a made-up value). All backends are driven by one asyncio loop: the openai
backend sends requests concurrently; the local ones gather pending requests into batches.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Callable

from videor2.diagnostics.judge.cache import JudgeCache, cache_key
from videor2.diagnostics.judge.prompts import PromptSet
from videor2.diagnostics.judge.replies import (GROUNDING_FORMAT, THINK_FORMAT, Unparseable, parse_grounding_reply,
                                               parse_think_reply)
from videor2.diagnostics.think import UNKNOWN, conclude

# rule conclusions at least this confident settle the think in a hybrid judge (rules+openai: ...): on the
# labelled dev outputs, the explicit letters and \boxed{} values (0.95) are 97-99 % right, the matched option
# contents and cued numbers (0.8-0.85) 89-94 %, too few for a paper number (scripts/bench_extractor.py)
RULES_THRESHOLD = 0.9


def rules_think(it: "JudgeItem") -> dict:
    """The rule extractor's think result: value, evidence span, confidence, how it was found."""
    c = conclude(it.think, it.options, it.kind, it.question)
    return {"pred": c.value, "status": "ok", "source": "rules", "evidence": c.evidence, "confidence": c.confidence,
            "how": c.how}


class JudgeUnavailable(RuntimeError):
    """The judge cannot run at all (endpoint unreachable, package missing): fail before any work."""


class TransportError(RuntimeError):
    """One request failed after all retries."""


@dataclass
class JudgeItem:
    key: Any
    kind: str              # "mc" | "numeric" | "open"
    question: str
    options: list[str]
    think: str | None


@dataclass
class Stats:
    requests: int = 0      # requests that reached the backend (attempts included)
    cache_hits: int = 0
    retries: int = 0
    strict_retries: int = 0
    errors: int = 0
    rules_settled: int = 0  # hybrid judge: think conclusions taken from the rules, no LLM call

    def as_dict(self) -> dict:
        return dict(self.__dict__)


class ChatBackend:
    """What an LLM judge needs from a backend."""

    name = "base"
    model = ""
    concurrency = 1

    async def aready(self) -> None:
        """Check once, before the first request, that the backend can work; raise JudgeUnavailable."""

    async def acomplete(self, messages: list[dict], sampling: dict) -> str:
        raise NotImplementedError

    async def aclose(self) -> None:
        pass

    def describe(self) -> dict:
        return {"backend": self.name, "model": self.model}


class Judge:
    spec = "rules"
    has_grounding = False
    stats: Stats

    def judge_many(self, items: list[JudgeItem], on_done: Callable[[int, dict], None]) -> None:
        raise NotImplementedError

    def describe(self) -> dict:
        return {"spec": self.spec}

    def close(self) -> None:
        pass


class RulesJudge(Judge):
    """Offline, deterministic: the rule extractor of diagnostics.think; no grounding score."""

    spec = "rules"
    has_grounding = False

    def __init__(self):
        self.stats = Stats()

    def judge_many(self, items, on_done):
        for i, it in enumerate(items):
            on_done(i, {"status": "ok", "error": None, "think": rules_think(it), "grounding": None})


DEFAULT_SAMPLING = {"temperature": 0.0, "top_p": 1.0, "seed": 0}


@dataclass
class LLMJudge(Judge):
    backend: ChatBackend
    prompts: PromptSet
    cache: JudgeCache
    spec: str = ""
    sampling: dict = field(default_factory=lambda: dict(DEFAULT_SAMPLING))
    think_max_tokens: int = 64
    grounding_max_tokens: int = 256
    window: int = 4096   # records in flight at once (bounds memory on huge inputs)
    has_grounding: bool = True
    rules_first: bool = False  # hybrid: confident rule conclusions are not sent to the LLM
    rules_threshold: float = RULES_THRESHOLD

    def __post_init__(self):
        self.stats = Stats()
        self._ready = None

    def describe(self) -> dict:
        d = {"spec": self.spec, **self.backend.describe(), "sampling": self.sampling,
             "rules_first": self.rules_first, "rules_threshold": self.rules_threshold if self.rules_first else None,
             "max_tokens": {"think": self.think_max_tokens, "grounding": self.grounding_max_tokens},
             "prompt_sha": self.prompts.hashes(), "prompt_source": self.prompts.sources()}
        return d

    # ---------------------------------------------------------------- one request, cached

    async def _ensure_ready(self):
        if self._ready is None:
            self._ready = asyncio.ensure_future(self.backend.aready())
        await self._ready

    async def _ask(self, messages: list[dict], prompt_sha: str, max_tokens: int) -> tuple[str, bool]:
        sampling = {**self.sampling, "max_tokens": max_tokens}
        if not self.backend.model:  # the server picks the model: learn it before computing keys
            await self._ensure_ready()
        key = cache_key(self.backend.name, self.backend.model, prompt_sha, sampling, messages)
        hit = self.cache.get(key)
        if hit is not None:
            self.stats.cache_hits += 1
            return hit, True
        await self._ensure_ready()  # first miss only: a fully cached rerun sends nothing at all
        reply = await self.backend.acomplete(messages, sampling)
        self.cache.put(key, reply)
        return reply, False

    async def _ask_parsed(self, messages, template_sha, max_tokens, parse, fmt) -> dict:
        """reply -> parsed value; one stricter follow-up when unparseable; else judge_error."""
        try:
            reply, cached = await self._ask(messages, template_sha, max_tokens)
        except TransportError as exc:
            self.stats.errors += 1
            return {"status": "judge_error", "error": str(exc)[:300], "raw": None}
        try:
            return {"status": "ok", "value": parse(reply), "raw": reply[:500], "cached": cached, "strict": False}
        except Unparseable as first:
            self.stats.strict_retries += 1
            strict_text = self.prompts.strict.user.replace("{{format}}", fmt).strip()
            follow = messages + [{"role": "assistant", "content": reply}, {"role": "user", "content": strict_text}]
            try:
                reply2, cached2 = await self._ask(follow, template_sha + "+" + self.prompts.strict.sha, max_tokens)
            except TransportError as exc:
                self.stats.errors += 1
                return {"status": "judge_error", "error": f"unparseable reply ({first}); strict retry failed: {exc}"[:300],
                        "raw": reply[:500]}
            try:
                return {"status": "ok", "value": parse(reply2), "raw": reply2[:500], "cached": cached2, "strict": True}
            except Unparseable as second:
                self.stats.errors += 1
                return {"status": "judge_error", "error": f"unparseable reply after strict retry: {second}"[:300],
                        "raw": reply2[:500]}

    # ---------------------------------------------------------------- one sample

    async def _judge_item(self, it: JudgeItem) -> dict:
        has_think = bool(it.think and it.think.strip())
        if not has_think:
            think = {"pred": UNKNOWN, "status": "ok", "source": "empty_think"}
            grounding = {"score": 0.0, "rationale": "no reasoning text", "status": "ok", "source": "empty_think"}
            return {"status": "ok", "error": None, "think": think, "grounding": grounding}
        tmpl = self.prompts.think.get(it.kind, self.prompts.think["mc"])
        kind = it.kind if it.kind in THINK_FORMAT else "mc"
        n_opt = len(it.options) or 5
        g = self.prompts.grounding
        g_msgs = g.render(it.question, it.options, it.think)
        rules = rules_think(it) if self.rules_first else None
        settled = rules is not None and rules["pred"] != UNKNOWN and rules["confidence"] >= self.rules_threshold

        async def ask_grounding():
            if not self.has_grounding:  # think conclusions only (scripts/bench_extractor.py)
                return {"status": "skipped"}
            return await self._ask_parsed(g_msgs, g.sha, self.grounding_max_tokens, parse_grounding_reply,
                                          GROUNDING_FORMAT)

        if settled:
            self.stats.rules_settled += 1
            t_res = {"status": "ok", "value": rules["pred"]}
            g_res = await ask_grounding()
            think = rules
        else:
            think_msgs = tmpl.render(it.question, it.options, it.think)
            t_res, g_res = await asyncio.gather(
                self._ask_parsed(think_msgs, tmpl.sha, self.think_max_tokens,
                                 lambda r: parse_think_reply(r, kind, n_opt), THINK_FORMAT[kind]),
                ask_grounding(),
            )
            think = {"pred": t_res.get("value") if t_res["status"] == "ok" else None, "status": t_res["status"],
                     "raw": t_res.get("raw"), "error": t_res.get("error"), "strict_retry": t_res.get("strict", False),
                     "prompt_sha": tmpl.sha, "source": "judge"}
        if g_res["status"] == "ok":
            score, rationale = g_res["value"]
        else:
            score, rationale = None, None
        grounding = {"score": score, "rationale": rationale, "status": g_res["status"], "raw": g_res.get("raw"),
                     "error": g_res.get("error"), "strict_retry": g_res.get("strict", False), "prompt_sha": g.sha,
                     "source": "judge"}
        errors = [f"{name}: {r['error']}" for name, r in (("think", t_res), ("grounding", g_res))
                  if r["status"] == "judge_error"]
        return {"status": "judge_error" if errors else "ok", "error": "; ".join(errors) or None,
                "think": think, "grounding": grounding}

    # ---------------------------------------------------------------- many samples

    def judge_many(self, items: list[JudgeItem], on_done: Callable[[int, dict], None]) -> None:
        asyncio.run(self._run(items, on_done))

    async def _run(self, items, on_done):
        try:
            for start in range(0, len(items), self.window):
                chunk = list(enumerate(items[start: start + self.window], start))

                async def one(i, it):
                    return i, await self._judge_item(it)

                for fut in asyncio.as_completed([one(i, it) for i, it in chunk]):
                    i, res = await fut
                    on_done(i, res)
        finally:
            self._ready = None
            await self.backend.aclose()
            self.stats.requests = getattr(self.backend, "requests_sent", self.stats.requests)
            self.stats.retries = getattr(self.backend, "retries", self.stats.retries)

    def close(self) -> None:
        self.cache.close()
