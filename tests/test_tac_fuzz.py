"""Hypothesis fuzzing: the parsers never raise (judge reply parsers raise only Unparseable)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from videor2.diagnostics.judge.replies import Unparseable, parse_grounding_reply, parse_think_reply
from videor2.diagnostics import think
from videor2.diagnostics.think import UNKNOWN, answer_prediction, is_correct, same_value, think_conclusion

PIECES = ["<think>", "</think>", "<answer>", "</answer>", "the answer is ", "so ", "wait, actually ", "(B)", "C",
          "\\boxed{", "\\frac{1}{3}", "\\sqrt{2}", "√", "Final answer: ", "it's B, not C", "Image 5", "(a)",
          "not sure", "If x = 2", "one-third", "approximately", "^2", "$", "\\(", "\\)",
          "option D is correct", "I choose ", "red", "3.5", "four", "=", "答案是", " or ", "not ", "\n", "```",
          "{\"score\": 7}", "{", "}", "UNKNOWN", "meters", ".", "A man", "between 3 and 5"]
texty = st.one_of(st.text(max_size=300), st.lists(st.sampled_from(PIECES), max_size=30).map("".join))
opts = st.lists(st.text(max_size=30), max_size=6)
kinds = st.sampled_from(["mc", "numeric", "open"])


@settings(max_examples=300, deadline=None)
@given(texty, opts, kinds)
def test_extractors_total(text, options, kind):
    t = think_conclusion(text, options, kind)
    a = answer_prediction(text, options, kind)
    assert t is not None and a is not None
    if kind == "mc":
        assert t == UNKNOWN or (isinstance(t, str) and len(t) == 1)
    if kind == "numeric":
        assert t == UNKNOWN or isinstance(t, float)
    is_correct(t, "B", kind)
    same_value(t, a, kind)


@settings(max_examples=300, deadline=None)
@given(texty, opts, texty)
def test_extractor_internals_never_raise(text, options, question):
    """The pieces under the public functions' catch-all must not raise either (so the catch-all is
    never what keeps a conclusion UNKNOWN)."""
    r = think.reasoning_text(text)
    assert r is None or isinstance(r, str)
    for c in (think.conclude_letter(text, options, question), think.conclude_number(text), think.conclude_text(text)):
        assert isinstance(c, think.Conclusion) and 0.0 <= c.confidence <= 1.0
    think.answer_text(text)
    v = think.expression_value(text)
    assert v is None or isinstance(v, float)


@settings(max_examples=300, deadline=None)
@given(texty, kinds, st.integers(min_value=0, max_value=30))
def test_reply_parsers_raise_only_unparseable(reply, kind, n):
    for fn in (lambda: parse_think_reply(reply, kind, n), lambda: parse_grounding_reply(reply)):
        try:
            fn()
        except Unparseable:
            pass


def test_reply_parsers_examples():
    assert parse_think_reply(" (C) ", "mc", 4) == "C"
    assert parse_think_reply("Answer: B", "mc", 4) == "B"
    assert parse_think_reply("unknown", "mc", 4) == UNKNOWN
    assert parse_think_reply("3.5 meters", "numeric") == 3.5
    assert parse_grounding_reply('```json\n{"score": 7, "rationale": "counts chairs"}\n```') == (7.0, "counts chairs")
    for bad, kind in (("The answer is C because the car is red", "mc"), ("E", "mc"), ("between 3 and 5", "numeric")):
        try:
            parse_think_reply(bad, kind, 4)
            raise AssertionError(bad)
        except Unparseable:
            pass
    try:
        parse_grounding_reply('{"score": 12}')
        raise AssertionError
    except Unparseable:
        pass
