"""A local chat-completions server for the judge tests and scripts/bench_judge.py.

Speaks enough of the OpenAI protocol (GET /v1/models, POST /v1/chat/completions) and answers like
a judge would: the think-extraction prompt gets the rule extractor's conclusion of the reasoning
between <<< and >>>, the grounding prompt gets {"score", "rationale"}; a follow-up ("could not be
read") gets the same. Reasoning containing `GARBAGE` always gets an unparseable reply.

Faults (mode "chaos"): the FIRST attempt of each distinct request body is, by a hash of the body,
answered correctly, slowly (`--slow` s), with HTTP 500, with 429 + Retry-After, with a malformed
JSON body, or by closing the connection without a reply; later attempts are answered correctly.
Bounded: 127.0.0.1 only, stops by itself after `--max-requests`, `--idle` s without a request, or
`--lifetime` s. GET /stats returns the request counters.

    python tests/judge_server.py --mode chaos --latency 0.05   # prints "PORT <n>" then serves
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import socket
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAULTS = ("ok", "slow", "500", "429", "malformed", "drop")


def _answer(messages: list[dict]) -> str:
    from videor2.diagnostics.think import think_conclusion  # imported eagerly in JudgeServer.__init__

    text = "\n".join(str(m.get("content", "")) for m in messages if m.get("role") == "user")
    m = re.search(r"<<<\n(.*?)\n>>>", text, re.DOTALL)
    think = m.group(1) if m else ""
    if "GARBAGE" in think:
        return "I am not able to follow these instructions, sorry."
    if '"score"' in text:
        score = len(think.split()) % 11
        return json.dumps({"score": score, "rationale": f"{len(think.split())} words of reasoning"})
    if "whose answer is a number" in text:
        v = think_conclusion(think, None, "numeric")
        return "UNKNOWN" if v == "UNKNOWN" else f"{v:g}"
    opts = re.search(r"Options:\n(.*?)\n\nReasoning:", text, re.DOTALL)
    options = [re.sub(r"^[A-Z]\.\s*", "", o) for o in opts.group(1).splitlines()] if opts else None
    return str(think_conclusion(think, options, "mc"))


class JudgeServer:
    def __init__(self, mode: str = "ok", latency: float = 0.0, slow: float = 2.0, max_requests: int = 100_000,
                 idle: float = 60.0, lifetime: float = 900.0, port: int = 0):
        # import the answer logic now, not on the first request (~0.1 s that the first wave of
        # concurrent requests would all wait for, under the import lock)
        import videor2.diagnostics.think  # noqa: F401

        self.mode, self.latency, self.slow = mode, latency, slow
        self.max_requests, self.idle, self.lifetime = max_requests, idle, lifetime
        self.counts: Counter = Counter()
        self.attempts: Counter = Counter()
        self.lock = threading.Lock()
        self.last = time.monotonic()
        self.started = time.monotonic()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # headers and body go out in ONE write with TCP_NODELAY: two small writes on a Nagle socket
            # stall the body until the client's delayed ACK (~40 ms per request on loopback)
            disable_nagle_algorithm = True

            def log_message(self, *args):  # quiet
                pass

            def _send(self, code: int, body: bytes, headers: dict | None = None):
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self._headers_buffer.append(b"\r\n")  # end_headers() without its separate flush
                self._headers_buffer.append(body)
                self.flush_headers()

            def do_GET(self):
                server._tick("get")
                if self.path.rstrip("/").endswith("/models"):
                    with server.lock:
                        server.counts["models"] += 1
                    self._send(200, json.dumps({"object": "list", "data": [{"id": "fake-judge", "object": "model"}]}).encode())
                elif self.path.rstrip("/").endswith("/stats"):
                    with server.lock:
                        body = json.dumps(dict(server.counts)).encode()
                    self._send(200, body)
                else:
                    self._send(404, b'{"error": "not found"}')

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                server._tick("post")
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._send(404, b'{"error": "not found"}')
                    return
                try:
                    req = json.loads(raw)
                except json.JSONDecodeError:
                    self._send(400, b'{"error": "bad json"}')
                    return
                key = hashlib.sha256(raw).hexdigest()
                with server.lock:
                    server.counts["chat"] += 1
                    server.attempts[key] += 1
                    first = server.attempts[key] == 1
                    if server.attempts[key] == 1:
                        server.counts["distinct"] += 1
                fault = "ok"
                if server.mode == "chaos" and first:
                    fault = FAULTS[int(key[:8], 16) % len(FAULTS)]
                with server.lock:
                    server.counts[f"fault_{fault}"] += 1
                if server.latency:
                    time.sleep(server.latency)
                if fault == "slow":
                    time.sleep(server.slow)
                elif fault == "500":
                    self._send(500, b'{"error": "internal"}')
                    return
                elif fault == "429":
                    self._send(429, b'{"error": "rate limited"}', {"Retry-After": "0"})
                    return
                elif fault == "malformed":
                    self._send(200, b'{"choices": [{"message": {"content": "A"')
                    return
                elif fault == "drop":
                    self.close_connection = True
                    try:
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    return
                content = _answer(req.get("messages", []))
                with server.lock:
                    asked = "\n".join(str(m.get("content", "")) for m in req.get("messages", []) if m.get("role") == "user")
                    server.counts["asked_grounding" if '"score"' in asked else "asked_think"] += 1
                body = {"id": "cmpl-" + key[:12], "object": "chat.completion", "model": req.get("model"),
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                                     "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}}
                self._send(200, json.dumps(body).encode())

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256

            def handle_error(self, request, client_address):  # a client killed mid-request: not our problem
                pass

        self.httpd = Server(("127.0.0.1", port), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self._thread: threading.Thread | None = None
        self._watch = threading.Thread(target=self._watchdog, daemon=True)

    def _tick(self, _kind: str):
        with self.lock:
            self.last = time.monotonic()
            self.counts["total"] += 1
            over = self.counts["total"] > self.max_requests
        if over:
            threading.Thread(target=self.httpd.shutdown, daemon=True).start()

    def _watchdog(self):
        while True:
            time.sleep(0.5)
            now = time.monotonic()
            if now - self.last > self.idle or now - self.started > self.lifetime:
                self.httpd.shutdown()
                return

    def start(self) -> "JudgeServer":
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()
        self._watch.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def stats(self) -> dict:
        with self.lock:
            return dict(self.counts)

    def reset(self):
        with self.lock:
            self.counts.clear()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mode", choices=("ok", "chaos"), default="ok")
    p.add_argument("--latency", type=float, default=0.0, help="seconds added to every chat request")
    p.add_argument("--slow", type=float, default=2.0)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--max-requests", type=int, default=100_000)
    p.add_argument("--idle", type=float, default=60.0)
    p.add_argument("--lifetime", type=float, default=900.0)
    a = p.parse_args(argv)
    s = JudgeServer(a.mode, a.latency, a.slow, a.max_requests, a.idle, a.lifetime, a.port)
    print(f"PORT {s.port}", flush=True)
    s._watch.start()
    s.httpd.serve_forever(poll_interval=0.1)
    s.httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
