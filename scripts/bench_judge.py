"""Throughput of the openai judge backend against the local test server (tests/judge_server.py).

Starts the server (fixed per-request latency L, no faults) in a subprocess and, for each
concurrency C, judges fresh synthetic samples (2 requests each: think conclusion + grounding) through
the production path: make_judge('openai:...') with the endpoint probed lazily (as `videor2 tac`
does) and an on-disk reply cache in a fresh temporary file (so every request is a miss that is
really sent over loopback and written to the cache). The clock covers the whole batch, start-up
(probe, first connections) included. Requests are counted by the server (/stats), not the client.
Prints achieved requests/s divided by the ideal C/L. Target >= 0.9 at C=32, L=200 ms; C=8 and C=64
are printed for context.

    python scripts/bench_judge.py                     # C = 32, 8, 64; L = 200 ms; 30 rounds each
    python scripts/bench_judge.py -C 32 --latency 0.2 --samples 480
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET = (32, 0.9)


def _chat_count(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/stats", timeout=10) as r:
        return int(json.loads(r.read()).get("chat", 0))


def bench_one(port: int, concurrency: int, latency: float, samples: int, tag: int) -> tuple[float, bool]:
    from videor2.diagnostics.judge import JudgeItem, make_judge

    with tempfile.TemporaryDirectory() as tmp:
        judge = make_judge(f"openai:http://127.0.0.1:{port}/v1#fake-judge", concurrency=concurrency,
                           timeout=30, cache=Path(tmp) / "judge_cache.jsonl", check=False)
        # `tag` makes every run's prompts distinct: nothing is answered from any cache
        items = [JudgeItem(i, "mc", f"Question {tag}-{i}?", ["red", "blue", "green", "white"],
                           f"Let me think about sample {tag}-{i}. The car is red. So the answer is A.")
                 for i in range(samples)]
        done = []
        before = _chat_count(port)
        t0 = time.perf_counter()
        judge.judge_many(items, lambda i, r: done.append(r))
        wall = time.perf_counter() - t0
        judge.close()
    n_req = _chat_count(port) - before
    ok = sum(r["status"] == "ok" for r in done)
    rps = n_req / wall
    ideal = concurrency / latency
    ratio = rps / ideal
    print(f"C={concurrency} L={latency * 1000:.0f} ms: {n_req} requests ({ok}/{len(done)} samples ok, "
          f"{judge.stats.cache_hits} cache hits, {judge.stats.retries} retries) in {wall:.2f} s = {rps:.1f} req/s; "
          f"ideal C/L = {ideal:.1f} req/s; ratio = {ratio:.3f}", flush=True)
    return ratio, ok == len(done) == samples and judge.stats.cache_hits == 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="judge throughput vs the ideal C/L")
    p.add_argument("--concurrency", "-C", type=int, nargs="+", default=[32, 8, 64])
    p.add_argument("--latency", "-L", type=float, default=0.2, help="server latency per request, seconds")
    p.add_argument("--samples", "-n", type=int, default=None,
                   help="samples per run (2 requests each); default 15*C, i.e. 30 rounds of C requests")
    a = p.parse_args(argv)

    srv = subprocess.Popen([sys.executable, str(REPO / "tests" / "judge_server.py"), "--latency", str(a.latency),
                            "--idle", "60", "--lifetime", "900"], stdout=subprocess.PIPE, text=True)
    try:
        port = int(re.search(r"PORT (\d+)", srv.stdout.readline()).group(1))
        good = True
        for k, c in enumerate(a.concurrency):
            ratio, ok = bench_one(port, c, a.latency, a.samples or 15 * c, k)
            good &= ok
            if (c, a.latency) == (TARGET[0], 0.2):
                print(f"  target at C=32, L=200 ms: ratio >= {TARGET[1]}: {'met' if ratio >= TARGET[1] else 'NOT met'}")
        return 0 if good else 1
    finally:
        srv.terminate()
        srv.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
