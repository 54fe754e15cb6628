"""The shared output parser: tags, option letters, numbers, MRA, open-ended matching."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from videor2.tasks.common import answers as A

OPTS = ["a red car", "a blue car", "A cat sits", "two dogs"]


# ---------------------------------------------------------------- tags

def test_well_formed():
    p = A.parse_response("<think>let me think</think><answer>B</answer>")
    assert (p.think, p.answer, p.status, p.answer_tagged) == ("let me think", "B", "ok", True)
    assert A.final_answer("<think>x</think><answer> B </answer>") == ("B", "ok")


def test_missing_closing_tags_are_truncated():
    assert A.parse_response("<think>still thinking").status == "truncated"
    assert A.final_answer("<think>x</think><answer>C") == ("C", "truncated")


def test_several_blocks_last_wins():
    text = "<think>a</think><answer>A</answer><think>b</think><answer>D</answer>"
    p = A.parse_response(text)
    assert (p.think, p.answer) == ("b", "D")
    # a trailing cut-off block does not hide the last complete one
    assert A.final_answer("<answer>B</answer> and then <answer>") == ("B", "ok")


def test_case_and_whitespace_in_tags():
    p = A.parse_response("< THINK >x</ Think ><Answer >C</ANSWER>")
    assert (p.think, p.answer, p.status) == ("x", "C", "ok")


def test_code_fences_and_text_outside_tags():
    text = "Sure!\n```xml\n<think>hmm</think>\n<answer>D</answer>\n```\nHope that helps."
    assert A.final_answer(text) == ("D", "ok")


def test_close_think_without_open():
    p = A.parse_response("reasoning here</think><answer>A</answer>")
    assert (p.think, p.answer, p.status) == ("reasoning here", "A", "ok")


def test_no_answer_tag_scores_whole_output():
    assert A.final_answer("  The answer is B.  ") == ("The answer is B.", "no_answer_tag")
    p = A.parse_response("<think>x</think> B")
    assert (p.answer, p.status) == ("B", "no_answer")
    assert A.parse_response("").status == "empty"
    assert A.final_answer(None) == ("", "no_answer_tag")


# ---------------------------------------------------------------- option letters

@pytest.mark.parametrize("text,expected", [
    ("B", "B"),
    ("b", "B"),  # lowercase lone letter
    ("(B)", "B"),
    ("**C.**", "C"),
    ("B. a blue car", "B"),
    ("C) A cat sits", "C"),
    ("The answer is C", "C"),
    ("the answer is (d).", "D"),
    ("Option B", "B"),
    ("I choose D.", "D"),
    ("two dogs", "D"),  # option full text
    ("It is a blue car.", "B"),  # option text contained in the answer
    ("A cat sits", "C"),  # the article "A" is not option A; the text matches option C
])
def test_option_letter(text, expected):
    assert A.option_letter(text, OPTS) == expected


@pytest.mark.parametrize("text", [
    "A man is walking down the street.",  # article, no option text
    "The answer is a green bicycle.",  # "a" after "answer is" is an article
    "I think a person opens the door.",
    "",
    "None of them.",
    "E",  # not a valid letter with 4 options
])
def test_article_and_nothing_select_no_option(text):
    assert A.option_letter(text, OPTS) is None


def test_article_a_with_letters_elsewhere():
    assert A.option_letter("A man opens the door, so the answer is B", OPTS) == "B"
    assert A.option_letter("(A) a red car", OPTS) == "A"
    assert A.option_letter("A", OPTS) == "A"


def test_option_by_text_longest_and_ambiguous():
    assert A.option_by_text("dark red", ["red", "dark red"]) == "B"
    assert A.option_by_text("red and blue", ["red", "blue"]) is None
    assert A.strip_option_prefix("(A) a red car") == "a red car"
    assert A.strip_option_prefix("B. x") == "x"
    assert A.strip_option_prefix("A dog") == "A dog"


# ---------------------------------------------------------------- numbers

@pytest.mark.parametrize("text,expected", [
    ("42", 42.0), ("about 1,234 people", 1234.0), ("3.14 m", 3.14), ("-2.5", -2.5),
    ("twenty-one", 21.0), ("one hundred and five chairs", 105.0), ("Three", 3.0),
    ("It is 7 or eight", 7.0), ("none", None), ("", None), (None, None), (".5", 0.5),
])
def test_parse_number(text, expected):
    assert A.parse_number(text) == expected


# ---------------------------------------------------------------- MRA and open-ended

@pytest.mark.parametrize("pred,gt,expected", [
    (10.0, 10.0, 1.0),
    (15.0, 10.0, 0.1),  # rel 0.5: only θ=0.50 (0.5 <= 0.5)
    (15.1, 10.0, 0.0),
    (10.5, 10.0, 1.0),  # rel 0.05 <= 1-0.95
    (11.0, 10.0, 0.9),  # rel 0.1: all but θ=0.95
    (8.0, 10.0, 0.7),   # rel 0.2: θ in 0.50..0.80
    (None, 10.0, 0.0),
    (5.0, 0.0, 0.0),
])
def test_mra_boundaries(pred, gt, expected):
    assert A.mean_relative_accuracy(pred, gt) == pytest.approx(expected)


def test_mra_thresholds():
    assert A.MRA_THRESHOLDS == (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)


def test_within_relative():
    assert A.within_relative(104.9, 100.0) and not A.within_relative(106, 100.0)
    assert A.within_relative(0.0, 0.0) and not A.within_relative(None, 1.0)


@pytest.mark.parametrize("pred,gt,expected", [
    ("3.141", "3.14", True), ("3.15", "3.14", False), ("The Eiffel Tower.", "eiffel tower", True),
    ("Paris", "London", False), (None, "x", False), ("12", "12", True),
])
def test_open_ended_match(pred, gt, expected):
    assert A.open_ended_match(pred, gt) is expected


# ---------------------------------------------------------------- totality

@settings(max_examples=150, deadline=None)
@given(st.text())
def test_never_raises(text):
    p = A.parse_response(text)
    assert p.status in ("ok", "no_think", "no_answer", "truncated", "empty")
    ans, status = A.final_answer(text)
    assert isinstance(ans, str) and status in ("ok", "no_answer_tag", "truncated")
    letter = A.option_letter(text, OPTS)
    assert letter is None or letter in "ABCD"
    assert A.option_letter(text) is None or len(A.option_letter(text)) == 1
    assert A.option_by_text(text, OPTS) is None or A.option_by_text(text, OPTS) in "ABCD"
    assert isinstance(A.strip_option_prefix(text), str)
    n = A.parse_number(text)
    assert n is None or isinstance(n, float)
    assert 0.0 <= A.mean_relative_accuracy(n, 10.0) <= 1.0
    assert isinstance(A.within_relative(n, 3.0), bool)
    assert isinstance(A.open_ended_match(text, "42"), bool)
    assert isinstance(A.normalise_text(text), str)
