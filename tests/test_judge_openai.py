"""The openai judge backend against a real local chat-completions server (tests/judge_server.py).

Faults: slow replies (past the client timeout), HTTP 500, 429 + Retry-After, malformed JSON bodies,
dropped connections, unparseable replies. Every sample must end ok or judge_error, nothing lost;
a rerun sends zero requests; a run killed half-way resumes to the same result.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from judge_server import JudgeServer  # noqa: E402

CORPUS = Path(__file__).parent / "corpus" / "tac_corpus.jsonl"
SECRET = "sk-test-SECRET-never-logged-123"


@pytest.fixture(scope="module")
def server():
    s = JudgeServer(mode="chaos", latency=0.03, slow=1.5, idle=120, lifetime=600).start()
    yield s
    s.stop()


def _input(tmp: Path, n: int, garbage: int = 0) -> Path:
    items = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()][:n]
    path = tmp / "in.jsonl"
    with path.open("w") as fh:
        for i, it in enumerate(items):
            resp = it["response"]
            if i < garbage:
                resp = "<think>GARBAGE reasoning the judge cannot read, so the answer is A.</think><answer>A</answer>"
            bench = "vsibench" if it["kind"] == "numeric" else ("mvbench", "minerva")[i % 2]
            fh.write(json.dumps({"benchmark": bench, "doc_id": it["id"], "question": it["question"],
                                 "options": it["options"], "answer": it["gt"], "response": resp}) + "\n")
    return path


def _cmd(inp, out, url, *extra):
    return [sys.executable, "-m", "videor2.cli", "tac", "--input", str(inp), "--judge", f"openai:{url}#fake-judge",
            "--output", str(out), "--timeout", "0.7", "--no-progress", "--api-key-env", "JUDGE_KEY", *extra]


def _env():
    return {**os.environ, "JUDGE_KEY": SECRET}


def _records(out: Path) -> dict:
    rows = [json.loads(line) for line in (out / "records.jsonl").read_text().splitlines() if line.strip()]
    keys = [(r["benchmark"], str(r["doc_id"])) for r in rows]
    assert len(keys) == len(set(keys)), "a record was written twice"
    return {k: r for k, r in zip(keys, rows)}


def test_faults_cache_and_rerun(server, tmp_path):
    inp = _input(tmp_path, 70, garbage=3)
    out = tmp_path / "out"
    before = server.stats()
    r = subprocess.run(_cmd(inp, out, server.url, "--concurrency", "8"), capture_output=True, text=True,
                       env=_env(), timeout=120)
    assert r.returncode == 0, r.stderr
    after = server.stats()
    sent = after.get("chat", 0) - before.get("chat", 0)
    faults = {k: after.get(k, 0) - before.get(k, 0) for k in after if k.startswith("fault_")}
    print(f"\nfirst run: {sent} chat requests, faults {faults}\n{r.stdout}")
    for f in ("fault_slow", "fault_500", "fault_429", "fault_malformed", "fault_drop"):
        assert faults.get(f, 0) > 0, f
    recs = _records(out)
    assert len(recs) == 70  # nothing lost
    statuses = {r["judge"]["status"] for r in recs.values()}
    assert statuses <= {"ok", "judge_error"}
    errs = [r for r in recs.values() if r["judge"]["status"] == "judge_error"]
    assert len(errs) == 3 and all("GARBAGE" in r["response"] for r in errs)
    for e in errs:  # never scored 0: no score, no think_pred, excluded from TAC
        assert e["judge"]["grounding"]["score"] is None and e["think_pred"] is None and e["consistent"] is None
        assert "strict retry" in e["judge"]["error"]
    ok = [x for x in recs.values() if x["judge"]["status"] == "ok"]
    assert all(x["judge"]["think"]["pred"] == x["judge"]["rules_think_pred"] for x in ok)
    assert all(isinstance(x["judge"]["grounding"]["score"], float) for x in ok)
    assert all(x["judge"]["prompt_sha"]["grounding"] for x in recs.values())
    summary = json.loads((out / "summary.json").read_text())
    assert {row["benchmark"]: row for row in summary["rows"]}["Overall"]["judge_errors"] == 3
    # the key never appears anywhere
    for f in out.iterdir():
        assert SECRET not in f.read_text(encoding="utf-8"), f
    assert SECRET not in r.stdout + r.stderr

    before = server.stats()
    r2 = subprocess.run(_cmd(inp, out, server.url), capture_output=True, text=True, env=_env(), timeout=120)
    assert r2.returncode == 0, r2.stderr
    after = server.stats()
    assert after.get("chat", 0) == before.get("chat", 0), "rerun sent chat requests"
    assert after.get("models", 0) == before.get("models", 0), "rerun probed the server"
    assert _records(out).keys() == recs.keys()
    print(f"rerun: 0 requests; {r2.stdout.strip().splitlines()[-2]}")


def test_killed_run_resumes(server, tmp_path):
    inp = _input(tmp_path, 60)
    ref = tmp_path / "ref"
    r = subprocess.run(_cmd(inp, ref, server.url, "--concurrency", "8"), capture_output=True, text=True,
                       env=_env(), timeout=120)
    assert r.returncode == 0, r.stderr
    # same input, fresh output folder (own cache), slow enough to kill half-way
    out = tmp_path / "killed"
    p = subprocess.Popen(_cmd(inp, out, server.url, "--concurrency", "1"), env=_env(),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log = out / "records.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if log.exists() and len(log.read_text().splitlines()) >= 15:
            break
        time.sleep(0.1)
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=10)
    partial = len(log.read_text().splitlines())
    assert 0 < partial < 60, partial
    before = server.stats()
    r2 = subprocess.run(_cmd(inp, out, server.url, "--concurrency", "8", "--resume"), capture_output=True,
                        text=True, env=_env(), timeout=120)
    assert r2.returncode == 0, r2.stderr
    resumed_requests = server.stats().get("chat", 0) - before.get("chat", 0)
    a, b = _records(ref), _records(out)
    assert a.keys() == b.keys() and len(b) == 60
    for k in a:
        for field in ("think_pred", "consistent", "think_correct", "pred"):
            assert a[k][field] == b[k][field], (k, field)
        assert a[k]["judge"]["grounding"] == b[k]["judge"]["grounding"] or \
            a[k]["judge"]["grounding"]["score"] == b[k]["judge"]["grounding"]["score"]
    sa = json.loads((ref / "summary.json").read_text())["rows"]
    sb = json.loads((out / "summary.json").read_text())["rows"]
    assert [(x["benchmark"], x["tac"], x["vas_judge"]) for x in sa] == [(x["benchmark"], x["tac"], x["vas_judge"]) for x in sb]
    print(f"\nkilled after {partial}/60 records written; resume sent {resumed_requests} chat requests")


def test_unreachable_endpoint_fails_fast(tmp_path):
    import socket

    from videor2.diagnostics.judge import JudgeUnavailable, make_judge

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    t0 = time.monotonic()
    with pytest.raises(JudgeUnavailable, match="unreachable"):
        make_judge(f"openai:http://127.0.0.1:{port}/v1#m")
    inp = _input(tmp_path, 5)
    r = subprocess.run(_cmd(inp, tmp_path / "o", f"http://127.0.0.1:{port}/v1"), capture_output=True, text=True,
                       env=_env(), timeout=60)
    assert r.returncode == 2 and "unreachable" in r.stderr
    assert time.monotonic() - t0 < 30


def test_make_judge_specs_and_lazy_vllm():
    from videor2.diagnostics.judge import JudgeUnavailable, RulesJudge, make_judge

    assert isinstance(make_judge("rules"), RulesJudge)
    with pytest.raises(ValueError):
        make_judge("bogus:thing")
    try:
        import vllm  # noqa: F401
    except ImportError:
        with pytest.raises(JudgeUnavailable, match="vLLM"):
            make_judge("vllm:Qwen/Qwen3-Next-80B-A3B-Instruct")


def test_prompt_override_changes_hash(server, tmp_path):
    from videor2.diagnostics.judge import PromptSet

    f = tmp_path / "think.txt"
    f.write_text("### user\nWhat does this conclude?\n{{options}}\n<<<\n{{think}}\n>>>\nOne letter or UNKNOWN.")
    a, b = PromptSet.load(), PromptSet.load(think_file=f)
    assert a.hashes()["think_mc"] != b.hashes()["think_mc"] and b.sources()["think_mc"] == str(f)
    msgs = b.think["mc"].render("Q?", ["red", "blue"], "so A")
    assert msgs[-1]["content"].endswith("One letter or UNKNOWN.") and "A. red" in msgs[-1]["content"]
