"""Rule extractor vs labelled REAL model outputs: think conclusion and answer, dev and test splits.

Reads the labels in tests/tac_real/labels.jsonl (ids and labels only; see tests/tac_real/README.md)
and the texts from ../shared/tac_dev/pool.jsonl. Prints, per split: think-conclusion and answer
accuracy, precision/recall of UNKNOWN (think), coverage (share of outputs given a conclusion, by
the extractor and by the labels), the share of think conclusions a hybrid judge (rules+openai:...)
settles without an LLM call and how often those are right, and the same figures for the extractor
as it was before this issue (git revision d0a8690, loaded from git history when available).

    python scripts/bench_extractor.py [--pool PATH] [--errors dev|test] [--json OUT]

With --judge SPEC, a judge of `videor2 tac` is measured the same way, through the production judge
pipeline (prompts, reply parsing, strict retry, on-disk cache; think conclusions only, no grounding
score), beside the rules:

    python scripts/bench_extractor.py --judge rules+openai:http://HOST:8000/v1#Qwen/Qwen2.5-7B-Instruct
    python scripts/bench_extractor.py --judge rules+vllm:/models/Qwen2.5-7B-Instruct --judge-cache judge.jsonl

It prints, per split, the same columns plus the LLM calls made and the replies that could not be read.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LABELS = REPO / "tests" / "tac_real" / "labels.jsonl"
POOL = REPO.parent / "shared" / "tac_dev" / "pool.jsonl"
OLD_REVISION = "d0a8690"
UNKNOWN = "UNKNOWN"


def load(pool: Path = POOL, labels: Path = LABELS) -> list[dict]:
    """Labelled items joined with their texts from the pool."""
    texts = {}
    with pool.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            texts[row["id"]] = row
    items = []
    for line in labels.read_text(encoding="utf-8").splitlines():
        lab = json.loads(line)
        items.append({**texts[lab["id"]], **lab, "label_think": lab["think"], "label_answer": lab["answer"]})
    return items


def _number(value) -> float | None:
    """A label or prediction as a number: plain, or an arithmetic expression ("24/7", "6+2√3")."""
    from videor2.diagnostics.think import expression_value

    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return expression_value(str(value)) if value is not None else None


def agrees(pred, label: str) -> bool:
    """Extractor output vs a label: UNKNOWN only equals UNKNOWN; numbers within 1e-3 relative (labels
    keep 4 decimals of fractions); letters case-insensitively; other text after whitespace folding."""
    if pred is None or pred == UNKNOWN or label == UNKNOWN:
        return (pred is None or pred == UNKNOWN) and label == UNKNOWN
    a, b = _number(pred), _number(label)
    if a is not None and b is not None:
        return abs(a - b) <= 1e-3 * max(1.0, abs(a), abs(b))
    return " ".join(str(pred).lower().split()) == " ".join(str(label).lower().split())


def evaluate(items: list[dict], think_fn, answer_fn, settle_fn=None) -> dict:
    n = len(items)
    think_ok = answer_ok = settled = settled_ok = 0
    pred_unknown = true_unknown = both_unknown = 0
    errors = []
    for it in items:
        think = think_fn(it)
        answer = answer_fn(it)
        t_ok, a_ok = agrees(think, it["label_think"]), agrees(answer, it["label_answer"])
        if settle_fn is not None and settle_fn(it):
            settled += 1
            settled_ok += t_ok
        think_ok += t_ok
        answer_ok += a_ok
        pu, tu = think in (None, UNKNOWN), it["label_think"] == UNKNOWN
        pred_unknown += pu
        true_unknown += tu
        both_unknown += pu and tu
        if not (t_ok and a_ok):
            errors.append({"id": it["id"], "kind": it["kind"], "think": think, "label_think": it["label_think"],
                           "answer": answer, "label_answer": it["label_answer"]})
    pct = lambda a, b: round(100.0 * a / b, 1) if b else float("nan")  # noqa: E731
    return {"n": n, "think_acc": pct(think_ok, n), "answer_acc": pct(answer_ok, n),
            "unknown_precision": pct(both_unknown, pred_unknown), "unknown_recall": pct(both_unknown, true_unknown),
            "coverage": pct(n - pred_unknown, n), "coverage_labels": pct(n - true_unknown, n),
            "hybrid_settled": pct(settled, n) if settle_fn else float("nan"),
            "settled_right": pct(settled_ok, settled) if settle_fn else float("nan"), "errors": errors}


def current_answer(it):
    """The final answer as TAC reads it today (every judge shares it: judges read the think only)."""
    from videor2.diagnostics.think import answer_prediction

    return answer_prediction(it["response"], it["options"], it["kind"])


def current_functions():
    from videor2.diagnostics.judge.base import RULES_THRESHOLD
    from videor2.diagnostics.think import conclude, reasoning_text

    def conclusion(it):
        return conclude(reasoning_text(it["response"]), it["options"], it["kind"], it["question"])

    def think_fn(it):
        return conclusion(it).value

    def settle_fn(it):  # what a hybrid judge takes from the rules (diagnostics.judge.base)
        c = conclusion(it)
        return c.found and c.confidence >= RULES_THRESHOLD

    return think_fn, current_answer, settle_fn


def old_functions():
    """The extractor as of OLD_REVISION, loaded from git history (None outside a git checkout)."""
    try:
        src = subprocess.run(["git", "show", f"{OLD_REVISION}:diagnostics/think.py"], cwd=REPO, capture_output=True,
                             text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    path = Path(tempfile.mkdtemp()) / "think_old.py"
    path.write_text(src)
    spec = importlib.util.spec_from_file_location("think_old", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up while the class is built
    spec.loader.exec_module(mod)
    from videor2.tasks.common.answers import parse_response

    def think_fn(it):
        return mod.think_conclusion(parse_response(it["response"]).think, it["options"], it["kind"])

    def answer_fn(it):
        return mod.answer_prediction(it["response"], it["options"], it["kind"])

    return think_fn, answer_fn, None


def judge_functions(spec: str, items: list[dict], cache: Path | None = None):
    """The think conclusions a judge (`make_judge(spec)`) gives the items, run once for all of them;
    returns the bench's (think, answer, settled) functions and the judge's statistics."""
    from videor2.diagnostics.judge import JudgeItem, make_judge
    from videor2.diagnostics.think import reasoning_text

    judge = make_judge(spec, cache=str(cache) if cache else None, grounding=False)
    work = [JudgeItem(key=it["id"], kind=it["kind"], question=it["question"] or "", options=it["options"] or [],
                      think=reasoning_text(it["response"])) for it in items]
    results: dict[str, dict] = {}

    def done(i: int, res: dict) -> None:
        results[work[i].key] = res

    try:
        judge.judge_many(work, done)
    finally:
        judge.close()

    def think_fn(it):
        res = results[it["id"]]
        return res["think"].get("pred") if res["status"] == "ok" else None  # a judge error counts as no conclusion

    def settle_fn(it):
        return results[it["id"]]["think"].get("source") == "rules"

    errors = sum(r["status"] != "ok" for r in results.values())
    return (think_fn, current_answer, settle_fn), {**judge.stats.as_dict(), "judge_errors": errors}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pool", type=Path, default=POOL, help="the real outputs (default: %(default)s)")
    ap.add_argument("--errors", choices=("dev", "test"), help="also list the disagreements of one split")
    ap.add_argument("--json", type=Path, help="write the figures as JSON")
    ap.add_argument("--judge", metavar="SPEC", help="also measure this judge (rules+openai:URL#MODEL, openai:..., "
                                                   "rules+vllm:MODEL, hf:PATH ...; see `videor2 tac --help`)")
    ap.add_argument("--judge-cache", type=Path, help="reply cache of --judge (reruns ask nothing twice; default: none)")
    args = ap.parse_args(argv)
    if not args.pool.exists():
        print(f"bench_extractor: {args.pool} not found (shared/ must sit beside the repository)", file=sys.stderr)
        return 2
    items = load(args.pool)
    ways = {"now": current_functions()}
    old = old_functions()
    if old is not None:
        ways[f"old ({OLD_REVISION})"] = old
    if args.judge:
        from videor2.diagnostics.judge import JudgeUnavailable

        try:
            fns, stats = judge_functions(args.judge, items, args.judge_cache)
        except (JudgeUnavailable, ValueError) as exc:
            print(f"bench_extractor: judge {args.judge!r} cannot run: {exc}", file=sys.stderr)
            return 2
        ways[args.judge] = fns
        print(f"judge {args.judge}: {json.dumps(stats)}")
    results = {}
    cols = ["think_acc", "answer_acc", "unknown_precision", "unknown_recall", "coverage", "coverage_labels",
            "hybrid_settled", "settled_right"]
    width = max(16, *(len(name) for name in ways))
    print(f"{'split':6} {'extractor':{width}} {'n':>4} " + " ".join(f"{c:>17}" for c in cols))
    for split in ("dev", "test"):
        part = [it for it in items if it["split"] == split]
        for name, (tf, af, sf) in ways.items():
            r = evaluate(part, tf, af, sf)
            results[f"{split}/{name}"] = {k: v for k, v in r.items() if k != "errors"}
            print(f"{split:6} {name:{width}} {r['n']:>4} " + " ".join(f"{r[c]:>17}" for c in cols))
            if args.errors == split and name == "now":
                for e in r["errors"]:
                    print("   ", json.dumps(e, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
