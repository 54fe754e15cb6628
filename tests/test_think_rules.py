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



@pytest.mark.parametrize("text, options, question, expected", [
    # letters that label things in the image, when the item has no option texts
    ("Since all points are reachable, let's choose point \\( A \\).", None, "Which point can we reach?", "A"),
    ("Therefore, the jug that holds a different amount is Jug B.", None, "Which jug differs?", "B"),
    # fractions are one value; the final value matching no option is no conclusion
    ("Therefore, the coefficient of relatedness between A and B is 1/4.", ["3/8", "5/8", "1/4", "1/2"], "q", "C"),
    ("The side is 6 cm. Therefore, the sum p + q + r + s is 18 cm^2.", ["4 cm", "6 cm", "8 cm", "9 cm"], "q", "UNKNOWN"),
    # one single-word option inside another option's text tells nothing ("balancing" / "catch his balance")
    ("He squats down to regain his balance.", ["touch the baby", "balancing", "catch his balance"], "why", "UNKNOWN"),
    # a single word matches whole words only: "cycling" is not in "bicycle"
    ("The boy holds the bicycle to get the bike out of the water.",
     ["cycling", "posing", "assist getting the bike out of water"], "why", "C"),
    # option words scattered over a long sentence are not a statement of the option
    ("The baby laughs and moves its hands while they are engaging in a long and playful activity together.",
     ["play with baby", "play with him", "funny"], "why", "UNKNOWN"),
    # a hedge between an option and something else
    ("The person might be trying to pet the cat or possibly take the plush fish away.",
     ["take a flower", "drink water", "take the plush fish away"], "why", "UNKNOWN"),
    # one long distinctive word names its option
    ("They appear to be engaged in a conversation.", ["watch her moves", "having a conversation", "taking pictures"],
     "what are they doing", "B"),
])
def test_more_multiple_choice_conclusions(text, options, question, expected):
    assert conclude(text, options, "mc", question).value == expected


@pytest.mark.parametrize("text, kind, expected", [
    # the predicate of "therefore ... is N", not the first number after "therefore"
    ("Therefore, the number of triangles with vertices in the 18 points shown is 816.", "numeric", 816.0),
    ("Therefore, the top is moving at 24/7 ft/s when the bottom is 7 ft away.", "numeric", 24 / 7),
    ("There are no big minivans in front of this biplane; instead there is a sedan.", "numeric", 0.0),
    # a cut-off "the final answer is \( " states nothing: the value before it counts
    ("Thus AC^2 = 16. So AC = 4.0.\n\nThe final answer is \\( ", "open", 4.0),
])
def test_number_and_text_conclusions(text, kind, expected):
    value = conclude(text, None, kind, "q").value
    assert value == pytest.approx(expected)


@pytest.mark.parametrize("response, options, kind, expected", [
    # a marked answer inside a CLOSED think is the reasoning's; an unclosed think ending in one gives it
    ("<think>so BD = 2.0. Thus BD is \\[ \\boxed{2.0} \\]</think>", None, "numeric", "UNKNOWN"),
    ("<think>Clearly the phrase fits.\n\nFinal answer: A</think>", ["a", "b"], "mc", "UNKNOWN"),
    ("<think>so the side is 3. Thus the answer is \\boxed{E}", None, "mc", "E"),
    # an answer states an option's value only when the option says that value and nothing that changes it
    ("<think>...</think><answer>7.0</answer>", ["5.0 cm/s", "7.0 cm/s", "9.0 cm/s"], "mc", "B"),
    ("<think>...</think><answer>72</answer>", ["$36^{\\circ}$", "$72^{\\circ}$"], "mc", "B"),
    ("<think>...</think><answer>1.89</answer>", ["48.0", "48.0/25.4=1.89", "(48.0-25.4)/48.0"], "mc", "B"),
    ("<think>...</think><answer>2</answer>", ["$\\pi$", "$2 \\pi$", "$3 \\pi$"], "mc", "UNKNOWN"),
    ("<think>...</think><answer>\\(\\pi\\)</answer>", None, "open", pytest.approx(3.141592653589793)),
    ("<think>...</think><answer>\\( \\</answer>", None, "open", "UNKNOWN"),
])
def test_answer_reading(response, options, kind, expected):
    from videor2.diagnostics.think import answer_prediction

    assert answer_prediction(response, options, kind) == expected
