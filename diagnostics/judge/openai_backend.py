"""Any OpenAI-compatible chat-completions server (`vllm serve MODEL` is the documented local one).

Bounded concurrency (one asyncio semaphore), a per-request timeout, retries with exponential
backoff and jitter on 408/409/425/429/5xx, timeouts, dropped connections and malformed response
bodies (Retry-After honoured, capped), and a fail-fast reachability check (GET /models) before the
first request. The API key is sent as a bearer token and never logged or repeated in errors.

Connections: each concurrency slot owns one keep-alive connection (an httpx client limited to one
connection, handed out LIFO with the semaphore), instead of one client whose pool holds C
connections. httpcore's pool re-scans every connection on every request (O(C^2) Python calls plus
one poll() syscall per idle connection); at C = 64 that alone saturated the event loop (measured:
0.18 of the ideal C/L on the bench). With one connection per client the scan is O(1). The TLS
context is built once and shared by all slot clients.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random

import httpx
from videor2.diagnostics.judge.base import ChatBackend, JudgeUnavailable, TransportError

RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


class OpenAIBackend(ChatBackend):
    name = "openai"

    def __init__(self, base_url: str, model: str | None = None, api_key: str | None = None,
                 api_key_env: str = "OPENAI_API_KEY", concurrency: int = 16, timeout: float = 60.0,
                 max_retries: int = 6, backoff: float = 0.5, backoff_cap: float = 20.0,
                 extra_body: dict | None = None, seed: int = 0, check_timeout: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.model = model or ""
        self._api_key = api_key if api_key is not None else os.environ.get(api_key_env or "", "") or None
        self.api_key_env = api_key_env
        self.concurrency = max(1, int(concurrency))
        self.timeout = float(timeout)
        self.max_retries = int(max_retries)
        self.backoff, self.backoff_cap = float(backoff), float(backoff_cap)
        self.extra_body = dict(extra_body or {})
        self.check_timeout = check_timeout
        self._rng = random.Random(seed)
        self._idle: list[httpx.AsyncClient] | None = None   # slot clients not in use (LIFO: warm first)
        self._all: list[httpx.AsyncClient] = []
        self._sem: asyncio.Semaphore | None = None
        self._ssl = None
        self.requests_sent = 0
        self.retries = 0

    def __repr__(self) -> str:  # never show the key
        return f"OpenAIBackend(base_url={self.base_url!r}, model={self.model!r}, key={'set' if self._api_key else 'none'})"

    def describe(self) -> dict:
        return {"backend": self.name, "model": self.model, "base_url": self.base_url,
                "api_key": f"from ${self.api_key_env}" if self._api_key else "none",
                "concurrency": self.concurrency, "timeout_s": self.timeout, "max_retries": self.max_retries}

    def _headers(self) -> dict:
        h = {"Content-Type": "application/json"}
        if self._api_key:
            h["Authorization"] = f"Bearer {self._api_key}"
        return h

    # ---------------------------------------------------------------- reachability

    def check(self) -> None:
        """Synchronous fail-fast check: one GET /models. Picks the served model when none was named."""
        try:
            r = httpx.get(f"{self.base_url}/models", headers=self._headers(), timeout=self.check_timeout)
        except httpx.HTTPError as exc:
            raise JudgeUnavailable(
                f"judge endpoint {self.base_url} is unreachable ({type(exc).__name__}: {exc}). Start the server "
                f"(e.g. `vllm serve MODEL --port 8000`) and pass --judge openai:http://HOST:PORT/v1#MODEL") from None
        self._after_models(r)

    async def aready(self) -> None:
        self._setup()
        try:
            async with self._slot() as client:
                r = await client.get(f"{self.base_url}/models", timeout=self.check_timeout)
        except httpx.HTTPError as exc:
            raise JudgeUnavailable(
                f"judge endpoint {self.base_url} is unreachable ({type(exc).__name__}: {exc}). Start the server "
                f"(e.g. `vllm serve MODEL --port 8000`) and pass --judge openai:http://HOST:PORT/v1#MODEL") from None
        finally:
            self.requests_sent += 1
        self._after_models(r)

    def _after_models(self, r: httpx.Response) -> None:
        if r.status_code in (401, 403):
            raise JudgeUnavailable(f"judge endpoint {self.base_url} refused the API key (HTTP {r.status_code}); "
                                   f"set ${self.api_key_env} or pass --api-key-env NAME")
        if r.status_code >= 400:
            if self.model:
                return  # some servers have no /models; the endpoint answered, go on
            raise JudgeUnavailable(f"judge endpoint {self.base_url}/models answered HTTP {r.status_code}; name the "
                                   f"model explicitly: openai:{self.base_url}#MODEL")
        try:
            served = [m.get("id") for m in r.json().get("data", []) if isinstance(m, dict)]
        except (ValueError, AttributeError):
            served = []
        if not self.model:
            if not served:
                raise JudgeUnavailable(f"judge endpoint {self.base_url} lists no model; use openai:{self.base_url}#MODEL")
            self.model = served[0]
        elif served and self.model not in served:
            raise JudgeUnavailable(f"model {self.model!r} is not served at {self.base_url} (served: {', '.join(served[:5])})")

    # ---------------------------------------------------------------- requests

    def _setup(self) -> None:
        if self._sem is None:  # created inside the running loop (judge_many runs one asyncio.run per call)
            self._sem = asyncio.Semaphore(self.concurrency)
            self._idle, self._all = [], []

    def _new_client(self) -> httpx.AsyncClient:
        if self._ssl is None:
            self._ssl = httpx.create_ssl_context()  # once: loading the CA bundle costs ~20 ms per client
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        client = httpx.AsyncClient(headers=self._headers(), timeout=self.timeout, limits=limits, verify=self._ssl)
        self._all.append(client)
        return client

    @contextlib.asynccontextmanager
    async def _slot(self):
        """One of `concurrency` slots, with its own keep-alive connection (created on first use)."""
        async with self._sem:
            client = self._idle.pop() if self._idle else self._new_client()
            try:
                yield client
            finally:
                self._idle.append(client)

    async def aclose(self) -> None:
        clients, self._all, self._idle, self._sem = self._all, [], None, None
        for client in clients:
            await client.aclose()

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        base = min(self.backoff_cap, self.backoff * (2 ** attempt))
        delay = base * (0.5 + 0.5 * self._rng.random())
        if retry_after:
            try:
                delay = max(delay, min(self.backoff_cap, float(retry_after)))
            except ValueError:
                pass
        return delay

    async def acomplete(self, messages: list[dict], sampling: dict) -> str:
        self._setup()
        body = {"model": self.model, "messages": messages, **sampling, **self.extra_body}
        last = "no attempt"
        for attempt in range(self.max_retries + 1):
            retry_after = None
            async with self._slot() as client:
                self.requests_sent += 1
                try:
                    r = await client.post(f"{self.base_url}/chat/completions", json=body)
                    if r.status_code == 200:
                        try:
                            content = r.json()["choices"][0]["message"]["content"]
                            if not isinstance(content, str):
                                raise TypeError("content is not a string")
                            return content
                        except (ValueError, KeyError, IndexError, TypeError) as exc:
                            last = f"malformed response body ({type(exc).__name__})"
                    elif r.status_code in RETRY_STATUS:
                        last = f"HTTP {r.status_code}"
                        retry_after = r.headers.get("retry-after")
                    else:
                        raise TransportError(f"HTTP {r.status_code} from {self.base_url}/chat/completions: "
                                             f"{r.text[:200]}")
                except httpx.TimeoutException:
                    last = f"timeout after {self.timeout:g} s"
                except httpx.TransportError as exc:
                    last = f"connection error ({type(exc).__name__})"
            if attempt < self.max_retries:
                self.retries += 1
                await asyncio.sleep(self._delay(attempt, retry_after))
        raise TransportError(f"gave up after {self.max_retries + 1} attempts; last: {last}")


def parse_openai_spec(rest: str) -> tuple[str, str | None]:
    """'http://host:8000/v1#model/name' -> (base_url, model or None)."""
    base, _, model = rest.partition("#")
    if not base.startswith(("http://", "https://")):
        raise ValueError(f"openai judge spec needs a base URL: openai:http://HOST:PORT/v1[#MODEL], got {rest!r}")
    return base, (model or None)
