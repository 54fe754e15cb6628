"""The rule extractor against the hand-labelled corpus (tests/corpus/tac_corpus.jsonl)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from videor2.diagnostics.think import UNKNOWN, answer_prediction, think_conclusion
from videor2.tasks.common.answers import parse_response

CORPUS = Path(__file__).parent / "corpus" / "tac_corpus.jsonl"


def _same(a, b, kind):
    if a == UNKNOWN or b == UNKNOWN:
        return a == b
    if kind == "numeric":
        return abs(float(a) - float(b)) < 1e-9
    return a == b


def load():
    return [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_corpus_size_and_coverage():
    items = load()
    assert len(items) >= 150
    tags = Counter(t for it in items for t in it["tags"])
    kinds = Counter(it["kind"] for it in items)
    for tag in ("consistent", "inconsistent", "hedging", "self_correct", "option_text", "truncated", "no_tags",
                "non_english"):
        assert tags[tag] >= 5, (tag, tags[tag])
    assert kinds["mc"] >= 100 and kinds["numeric"] >= 40


def test_rule_extractor_accuracy_on_corpus():
    items = load()
    think_ok = answer_ok = 0
    misses = []
    for it in items:
        think = parse_response(it["response"]).think
        t = think_conclusion(think, it["options"], it["kind"])
        a = answer_prediction(it["response"], it["options"], it["kind"])
        think_ok += _same(t, it["think_label"], it["kind"])
        answer_ok += _same(a, it["answer_label"], it["kind"])
        if not _same(t, it["think_label"], it["kind"]):
            misses.append((it["id"], "think", t, it["think_label"]))
        if not _same(a, it["answer_label"], it["kind"]):
            misses.append((it["id"], "answer", a, it["answer_label"]))
    n = len(items)
    print(f"\nrule extractor on {n} labelled responses: answer {100 * answer_ok / n:.1f} %, "
          f"think conclusion {100 * think_ok / n:.1f} %; misses: {misses}")
    assert answer_ok / n >= 0.95
    assert think_ok / n >= 0.90
