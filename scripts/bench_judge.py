"""Throughput of the openai judge backend against the local test server (tests/judge_server.py).

Starts the server (fixed per-request latency L, no faults) in a subprocess, judges N synthetic
samples (2 requests each: think conclusion + grounding; no cache hits) at concurrency C, and
prints achieved requests/s divided by the ideal C/L. Target >= 0.9 at C=32, L=200 ms.

    python scripts/bench_judge.py --concurrency 32 --latency 0.2 --samples 480
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="judge throughput vs the ideal C/L")
    p.add_argument("--concurrency", "-C", type=int, default=32)
    p.add_argument("--latency", "-L", type=float, default=0.2, help="server latency per request, seconds")
    p.add_argument("--samples", "-n", type=int, default=480)
    a = p.parse_args(argv)

    from videor2.diagnostics.judge import JudgeItem, make_judge

    srv = subprocess.Popen([sys.executable, str(REPO / "tests" / "judge_server.py"), "--latency", str(a.latency),
                            "--idle", "30", "--lifetime", "600"], stdout=subprocess.PIPE, text=True)
    try:
        port = int(re.search(r"PORT (\d+)", srv.stdout.readline()).group(1))
        judge = make_judge(f"openai:http://127.0.0.1:{port}/v1#fake-judge", concurrency=a.concurrency,
                           timeout=30, cache=None)
        items = [JudgeItem(i, "mc", f"Question {i}?", ["red", "blue", "green", "white"],
                           f"Let me think about sample {i}. The car is red. So the answer is A.") for i in range(a.samples)]
        done = []
        t0 = time.perf_counter()
        judge.judge_many(items, lambda i, r: done.append(r))
        wall = time.perf_counter() - t0
        n_req = judge.stats.requests - 1  # minus the GET /models probe
        ok = sum(r["status"] == "ok" for r in done)
        rps = n_req / wall
        ideal = a.concurrency / a.latency
        print(f"C={a.concurrency} L={a.latency * 1000:.0f} ms: {n_req} requests ({ok}/{len(done)} samples ok) in "
              f"{wall:.2f} s = {rps:.1f} req/s; ideal C/L = {ideal:.1f} req/s; ratio = {rps / ideal:.3f}")
        return 0 if ok == len(done) else 1
    finally:
        srv.terminate()
        srv.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
