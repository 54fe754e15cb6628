"""Reference scoring (tasks/common/reference.py) against an independent transcription of the Video-R2
evaluation fork's rules (tests/reference_rules.py, which cites the fork's file and line for each rule),
on every multiple-choice and numeric output of the real-output pool in ../shared/tac_dev, and on
examples whose reference behaviour was observed by running the fork's own functions."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import reference_rules as oracle

from videor2.tasks.common import reference as ref
from videor2.tasks.common.answers import LETTERS
from videor2.tasks.common.scoring import AnswerKey, answer_item
from videor2.tasks.registry import BY_NAME

POOL = Path(__file__).resolve().parents[2] / "shared" / "tac_dev" / "pool.jsonl"
NUMERIC_BENCHMARKS = ("vsibench", "videommmu")  # where a number is an answer; elsewhere answers are letters
# the most options an item of each benchmark has (VideoMME: A-D; VSI-Bench: A-D; SciVideoBench, Video-MMMU: A-J)
MAX_OPTIONS = {"videomme": 4, "vsibench": 4, "scivideobench": 10, "videommmu": 10, "mvbench": 5, "tempcompass": 5,
               "mlvu": 5, "longvideobench": 5, "videomathqa": 5, "minerva": 5, "mmvu": 5}


def _pool() -> list[dict]:
    if not POOL.is_file():
        pytest.skip(f"{POOL} not found (the shared real-output pool sits beside the repository)")
    return [d for d in map(json.loads, POOL.read_text(encoding="utf-8").splitlines()) if d["kind"] in ("mc", "numeric")]


def _key(bench: str, row: dict) -> AnswerKey:
    options = [str(o) for o in row["options"] or []]
    kind = row["kind"]
    gt = str(row["answer"]).strip()
    if kind == "mc":
        gt = gt.upper()
    elif bench in NUMERIC_BENCHMARKS:
        try:
            gt = float(gt)
        except ValueError:
            pass
    raw = [f"{LETTERS[i]}. {o}" for i, o in enumerate(options)] if bench == "vsibench" else None  # as VSI stores them
    return AnswerKey(kind=kind, gt=gt, options=options, raw_options=raw)


def _same(a, b) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and math.isclose(a, b, abs_tol=1e-12))


@pytest.mark.parametrize("bench", list(BY_NAME))
def test_reference_rule_agrees_with_the_transcription_on_every_real_output(bench):
    rows = _pool()
    rule, expected = BY_NAME[bench].reference, oracle.RULES[bench]
    disagree = []
    for row in rows:
        key = _key(bench, row)
        got = rule(row["response"], key)
        want_pred, want_score = expected(row["response"], key.options, key.gt, key.kind)
        if not _same(got.score, want_score):
            disagree.append((row["id"], got.pred, got.score, want_pred, want_score))
    assert len(rows) > 4000
    assert not disagree, f"{len(disagree)} of {len(rows)} differ, e.g. {disagree[:5]}"


def test_vsibench_task_score_agrees_with_the_lmms_eval_rule():
    rows = _pool()
    disagree = [r["id"] for r in rows
                if not _same(ref.vsi_task_score(ref.first_answer_block(r["response"])[0], _key("vsibench", r).gt, r["kind"]),
                             oracle.score_vsibench_lmms(r["response"], r["options"], _key("vsibench", r).gt, r["kind"])[1])]
    assert not disagree, disagree[:5]


def test_bare_letters_score_the_same_under_both_scorings():
    # (items whose option texts are themselves letters are left out: there MMVU's text match decides)
    rows = [r for r in _pool() if r["kind"] == "mc" and r["options"]
            and not any(str(o).strip() in LETTERS for o in r["options"])]
    checked = 0
    for row in rows:
        letter = str(row["answer"]).strip().upper()
        for answer in (letter, LETTERS[(LETTERS.index(letter) + 1) % len(row["options"])]):
            response = f"<think>...</think><answer>{answer}</answer>"
            for bench, spec in BY_NAME.items():
                if len(row["options"]) > MAX_OPTIONS[bench]:
                    continue
                key = _key(bench, row)
                item = answer_item(key, response, spec.reference)
                assert item.ref_score == item.score, (bench, row["id"], answer, item.ref_pred, item.pred)
                checked += 1
    assert checked > 10000


# Behaviour observed by running the fork's own functions (the dossiers behind reference_rules.py).
@pytest.mark.parametrize("bench,answer,gt,score", [
    ("videomme", "<answer>Answer: C</answer>", "C", 0.0),              # "A" of "Answer" comes first
    ("videomme", "<answer>Best answer: C</answer>", "C", 0.0),         # joined prefixes: never removed, "B"
    ("videomme", "<think>After that</think><answer>C", "C", 0.0),      # unclosed: the whole output, "A" of "After"
    ("videomme", "<answer>A</answer> then <answer>B</answer>", "B", 0.0),  # the FIRST block
    ("videomme", "<ANSWER>B</ANSWER>", "B", 0.0),                      # wrong-case tags: the whole text, "A" of "ANSWER"
    ("tempcompass", "<answer>Based on the video, C</answer>", "C", 0.0),
    ("tempcompass", "<answer>I pick (b)</answer>", "B", 1.0),
    ("mvbench", "<answer>It is a dog, so B</answer>", "A", 1.0),       # the article "a" is option A
    ("longvideobench", "<answer>Answer: C</answer>", "C", 0.0),
    ("scivideobench", "<answer>I think C</answer>", "C", 0.0),         # the pronoun "I" is option I
    ("scivideobench", "<answer>Answer: C</answer>", "C", 1.0),         # "Answer:" is removed here
])
def test_observed_reference_behaviour(bench, answer, gt, score):
    key = AnswerKey(kind="mc", gt=gt, options=["x", "y", "z", "w", "v"])
    assert BY_NAME[bench].reference(answer, key).score == score


def test_random_fallbacks_score_their_expected_value():
    key = AnswerKey(kind="mc", gt="B", options=["x", "y", "z", "w"])
    lvb = ref.longvideobench("<answer>no idea</answer>", key)
    assert lvb.pred == "<random>" and lvb.score == pytest.approx(0.25) and "fallback" in lvb.flags
    svb = ref.scivideobench("<answer>no idea</answer>", key)
    assert svb.score == pytest.approx(0.1) and "fallback" in svb.flags  # a draw among A-J whatever the options


def test_exclusions_leave_the_denominator():
    key = AnswerKey(kind="mc", gt="A", options=["x", "y"])
    assert ref.mvbench("<answer></answer>", key).score is None
    assert ref.videommmu("<answer></answer>", key).score is None
    assert ref.mmvu("<answer>42</answer>", AnswerKey(kind="open", gt="42")).score is None


def test_vsi_post_processing_mra_uses_its_nine_thresholds():
    key = AnswerKey(kind="numeric", gt=100.0)
    assert ref.vsibench("<answer>110</answer>", key).score == pytest.approx(8 / 9)
    assert ref.vsi_task_score("110", 100.0, "numeric") == pytest.approx(0.9)  # the lmms-eval task: 10 thresholds
    assert ref.vsibench("<answer>about 1,000</answer>", AnswerKey(kind="numeric", gt=1000.0)).score == 0.0  # "1"
