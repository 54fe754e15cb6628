"""Precise cases of the multiple-choice conclusion rules (diagnostics.think): negation scope,
inverted questions, paraphrased option content, formulas. Each case is a behaviour a real output
showed (tests/tac_real); the texts here are written for the test."""

from __future__ import annotations

import pytest

from videor2.diagnostics.think import _map_span, _stemmed, conclude, inverted_question
from videor2.tasks.common import answers

ANIMALS = ["a cat", "a dog", "a bird", "a fish"]
PLAIN = "Which animal is shown in the video?"
NEXT_QA = ["get the paint", "drink her cup of water", "copy boy s gestures", "wants boy to hold her hand",
           "to get the adults attention"]
TOM = ["Jessica has been trying to get a plate.", "Jessica has been trying to get a salmon."]
SPRINGS = [r"$k_{et}=(\frac{k_{1}k_{2}}{k_{1}+k_{2}})+k_{5}+R^2{(k_{4}+k_{6})}$",
           r"$k_{et}=(\frac{k_{1}k_{2}}{k_{1}+k_{2}})+k_{4}+R^2{(k_{5}+k_{6})}$",
           r"$k_{et}=(\frac{k_{1}k_{2}}{k_{1}+k_{2}})+k_{6}+R^2{(k_{4}+k_{5})}$"]


@pytest.mark.parametrize("text, options, question, expected", [
    # a negation reaches the mention unless a copula or a new clause stands between them
    ("The answer is not B.", ANIMALS, PLAIN, "UNKNOWN"),
    ("Option C is not correct, so the answer is D.", ANIMALS, PLAIN, "D"),
    ("It is definitely not B, so I pick A.", ANIMALS, PLAIN, "A"),
    # "the incorrect choice is D": the answer to an inverted question, a rejection otherwise
    ("Since A, B and C are all correct, the only incorrect statement is D.", ANIMALS,
     "The statements are all correct EXCEPT", "D"),
    ("The incorrect choice is D.", ANIMALS, "Which statement is NOT true?", "D"),
    ("The incorrect choice is D.", ANIMALS, PLAIN, "UNKNOWN"),
    # paraphrased content: the option's words in another form and order
    ("This suggests that she is copying his gestures.", NEXT_QA, "why did the girl lift her hands", "C"),
    ("Given her path to the kitchen, Jessica is most likely trying to get a salmon.", TOM, "(a) ... (b) ...", "B"),
    # ... but not when negated inside the match, nor when two options' own words are both there
    ("Jessica is not trying to get a salmon.", TOM, "(a) ... (b) ...", "UNKNOWN"),
    ("She looks at the salmon and at the plate, so she is trying to get one of them.", TOM, "(a) ... (b) ...",
     "UNKNOWN"),
    ("The print dates from his political exile in France, not England.",
     ["in political exile in England", "serving as a soldier on the front lines"], "Goya made this while", "UNKNOWN"),
    # formulas match as written, whatever the spacing and braces
    (r"Therefore the constant is: \[ k_{et} = \frac{k_1 k_2}{k_1 + k_2} + k_4 + R^2 (k_5 + k_6) \]", SPRINGS,
     "Find the equivalent constant.", "B"),
    # "$5 million" is no formula: 13.5 million must not match it
    ("Final answer: $13.5 million", ["$4 million", "$5 million", "$6 million"], "How much income?", "UNKNOWN"),
])
def test_multiple_choice_conclusion(text, options, question, expected):
    assert conclude(text, options, "mc", question).value == expected


@pytest.mark.parametrize("question, inverted", [
    ("Which of the following is NOT shown?", True),
    ("All of the following are true EXCEPT", True),
    ("Which is the least likely explanation?", True),
    ("Which statement is incorrect?", True),
    ("What is not consistent with the video?", True),
    ("Which animal is shown?", False),
    ("Why did the man not stop?", False),
])
def test_inverted_question(question, inverted):
    assert inverted_question(question) is inverted


def test_span_maps_back_word_for_word():
    # the matched words of a normalised sentence land on the same words of the sentence, so a word
    # such as "noticeable" is never cut into a "not" that would negate the mention
    sentence = r"Around the middle, there is a noticeable shift; the value \(13.5\) is seen by the camera."
    norm = _stemmed(answers._norm(sentence.replace("\\(", " ").replace("\\)", " ")))
    start = norm.index("notic")
    end = norm.index("camera") + len("camera")
    a, b = _map_span(sentence, norm, (start, end))
    assert sentence[a:b] == r"noticeable shift; the value \(13.5\) is seen by the camera"
