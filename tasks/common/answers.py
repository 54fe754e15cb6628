"""Reading a reasoning model's output: the <think>/<answer> tags, option letters, numbers.

One implementation shared by the 11 task scorers and by the diagnostics (TAC) layer. Every
function is total: arbitrary text in, a value or None out, never an exception.
"""

from __future__ import annotations

import math
import re
import string
from dataclasses import dataclass

LETTERS = string.ascii_uppercase

_FENCE = re.compile(r"^[ \t]*```[^\n]*$", re.MULTILINE)
_OPEN = {t: re.compile(rf"<\s*{t}\s*>", re.IGNORECASE) for t in ("think", "answer")}
_CLOSE = {t: re.compile(rf"<\s*/\s*{t}\s*>", re.IGNORECASE) for t in ("think", "answer")}


@dataclass(frozen=True)
class ParsedResponse:
    """The parts of one response.

    status: `ok` (think and answer both closed), `no_think` (answer but no think),
    `no_answer` (no <answer> tag: `answer` is then the text after the think, or the whole output),
    `truncated` (an opened tag never closed: the output stopped mid-block), `empty`.
    """

    think: str | None
    answer: str | None
    status: str
    answer_tagged: bool


def _last_closed(opens: list, closes: list):
    """The last (open, close) pair where the open tag is followed by a close tag, or None."""
    for o in reversed(opens):
        c = next((c for c in closes if c.start() >= o.end()), None)
        if c is not None:
            return o, c
    return None


def _last_block(text: str, tag: str) -> tuple[str | None, bool, int]:
    """(content of the last <tag> block, closed?, end offset). Unclosed last block: content to end."""
    opens = list(_OPEN[tag].finditer(text))
    closes = list(_CLOSE[tag].finditer(text))
    if not opens and not closes:
        return None, False, -1
    if opens:
        last_open = opens[-1]
        close = next((c for c in closes if c.start() >= last_open.end()), None)
        if close is None:
            if tag == "answer":
                # "<answer>B</answer> ... <answer>" (cut off): the protocol scores the last
                # complete block; only an output with no complete block is truncated.
                closed = _last_closed(opens, closes)
                if closed is not None:
                    o, c = closed
                    return text[o.end():c.start()].strip(), True, c.end()
            return text[last_open.end():].strip(), False, len(text)
        return text[last_open.end():close.start()].strip(), True, close.end()
    # A closing tag with no opening one: templates that pre-fill "<think>" leave only "</think>".
    close = closes[-1]
    return text[: close.start()].strip(), True, close.end()


def parse_response(text: str | None) -> ParsedResponse:
    text = _FENCE.sub("", text or "")
    if not text.strip():
        return ParsedResponse(None, None, "empty", False)
    think, think_closed, think_end = _last_block(text, "think")
    answer, answer_closed, _ = _last_block(text, "answer")
    if answer is not None and answer_closed:
        if think is not None and not think_closed:
            # "<think> ... <answer>X</answer>" with no </think>: think is what precedes <answer>.
            think = _OPEN["answer"].split(think)[0].strip()
        status = "ok" if think is not None else "no_think"
        return ParsedResponse(think, answer, status, True)
    if answer is not None:  # <answer> opened, never closed
        return ParsedResponse(think, answer, "truncated", True)
    if think is not None and not think_closed:
        return ParsedResponse(think, None, "truncated", False)
    rest = text[think_end:].strip() if think is not None else text.strip()
    return ParsedResponse(think, rest or None, "no_answer", False)


def final_answer(text: str | None) -> tuple[str, str]:
    """The text that is scored, per the protocol: the last <answer> block, else the whole output.

    Returns (answer_text, status) with status `ok`, `no_answer_tag` or `truncated`.
    """
    parsed = parse_response(text)
    if parsed.answer_tagged and parsed.status != "truncated":
        return parsed.answer or "", "ok"
    if parsed.status == "truncated" and parsed.answer_tagged:
        return parsed.answer or "", "truncated"
    return (text or "").strip(), "no_answer_tag"


# ---------------------------------------------------------------- option letters

def _norm(s: str) -> str:
    s = s.lower()
    s = re.sub(r"(?<=\d)\.(?=\d)", "p", s)  # a decimal point is part of its number: "13.5" is not "5"
    s = re.sub(r"[\s\W_]+", " ", s)
    return s.strip()


_OPTION_PREFIX = re.compile(r"^\s*(?:\(?[A-Za-z]\s*[\.\):：]|[A-Za-z]\s*[-–]\s)\s*")


def strip_option_prefix(option: str) -> str:
    """'(A) a red car' / 'A. a red car' / 'A: x' -> the option's own text."""
    return _OPTION_PREFIX.sub("", option or "", count=1).strip()


def _letter_pattern(valid: str) -> dict[str, re.Pattern]:
    v = f"[{valid}]"
    return {
        # the whole answer is one letter, decorated: "B", "(b)", "**C.**", "[D]", "Option E"
        "alone": re.compile(rf"^\W*(?:option|choice|answer)?\W*({v})\W*$", re.IGNORECASE),
        # a letter opening the answer, followed by its text: "B. a red car", "(C) three"
        "lead": re.compile(rf"^\W*\(?({v})(?:\)|\.|:|：|\s*[-–]\s)"),
        # an explicit phrase anywhere: "the answer is (C)", "option D", "I choose B"
        "phrase": re.compile(
            rf"(?:answer\s*(?:is|:|would be|should be)?|option|choice|choose|select|pick)\s*[:\-]?\s*\(?\**({v})\b(?![\'’])",
            re.IGNORECASE,
        ),
        # a bare capital letter token; "A" used as an article ("A man ...") is excluded below
        "token": re.compile(rf"(?<![\w'’])\(?({v})\)?(?![\w'’])"),
    }


def _is_article(m: re.Match, text: str) -> bool:
    """A matched letter that reads as a word ("the answer is a red car", "I choose a man"),
    not an option: a lowercase letter, or "A", followed by a lowercase word."""
    letter = m.group(1)
    if letter.upper() not in "AI":
        return letter.islower() and bool(re.match(r"\s+[a-z]", text[m.end():]))
    return bool(re.match(r"\s+[a-z]", text[m.end():])) and "(" not in m.group(0)


def option_letter(answer: str | None, options: list[str] | None = None, n_options: int | None = None) -> str | None:
    """The option letter an answer text selects, or None when it selects none explicitly.

    Deterministic (no random fallback). Recognises a bare letter, a leading letter with its text,
    explicit phrases, a capital letter token (never the article "A"), and an option's full text.
    """
    if not answer:
        return None
    n = n_options or (len(options) if options else 0) or 6
    valid = LETTERS[: max(1, min(n, 26))]
    text = answer.strip()
    pats = _letter_pattern(valid)
    for key in ("alone", "lead"):
        m = pats[key].search(text)
        if m:
            return m.group(1).upper()
    phrases = [m.group(1).upper() for m in pats["phrase"].finditer(text) if not _is_article(m, text)]
    if phrases:
        return phrases[-1]
    for m in pats["token"].finditer(text):
        letter = m.group(1)
        if letter != letter.upper():
            continue
        after = text[m.end():]
        if letter == "A" and re.match(r"\s+[a-z]", after) and not m.group(0).startswith("("):
            continue  # the article: "A man is ...", not option A
        if letter == "I" and re.match(r"\s+[a-z]", after):
            continue  # the pronoun
        return letter
    if options:
        return option_by_text(text, options)
    return None


def option_by_text(text: str, options: list[str]) -> str | None:
    """Letter of the option whose text the answer states (exactly, or as the only one contained)."""
    target = _norm(text)
    if not target:
        return None
    bodies = [_norm(strip_option_prefix(o)) for o in options]
    for i, body in enumerate(bodies):
        if body and body == target:
            return LETTERS[i]
    contained = [i for i, body in enumerate(bodies) if len(body) >= 3 and re.search(rf"(?<!\w){re.escape(body)}(?!\w)", target)]
    # An option whose text lies inside another found option's text does not count ("red" inside
    # "dark red"); two unrelated options both stated ("red and blue") select none.
    best = [i for i in contained
            if not any(j != i and bodies[i] != bodies[j] and bodies[i] in bodies[j] for j in contained)]
    if len(best) == 1:
        return LETTERS[best[0]]
    return None


# ---------------------------------------------------------------- numbers

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
_NUMBER = re.compile(r"(?<![\w.])[-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?|(?<![\w.])[-−]?\.\d+")
_WORDS = re.compile(
    r"\b(?:(?:" + "|".join(list(_UNITS) + list(_TENS) + list(_SCALES)) + r")(?:[\s-]+(?:and[\s-]+)?)?)+", re.IGNORECASE
)


def _words_to_number(phrase: str) -> float | None:
    total, current, seen = 0, 0, False
    for w in re.split(r"[\s-]+", phrase.lower()):
        if not w or w == "and":
            continue
        if w in _UNITS:
            current += _UNITS[w]
        elif w in _TENS:
            current += _TENS[w]
        elif w in _SCALES:
            current = max(current, 1) * _SCALES[w]
            if _SCALES[w] >= 1000:
                total, current = total + current, 0
        else:
            return None
        seen = True
    return float(total + current) if seen else None


def parse_number(text: str | None) -> float | None:
    """The first number stated in a text: digits (with thousands commas, decimals, sign) or words."""
    if not text:
        return None
    m = _NUMBER.search(text)
    w = _WORDS.search(text)
    if m and (not w or m.start() <= w.start()):
        raw = m.group(0).replace(",", "").replace("−", "-")
        try:
            value = float(raw)
        except ValueError:
            return None
        return value if math.isfinite(value) else None
    if w:
        return _words_to_number(w.group(0))
    return None


# ---------------------------------------------------------------- numeric and open-ended scoring

MRA_THRESHOLDS = tuple(round(0.50 + 0.05 * i, 2) for i in range(10))


def mean_relative_accuracy(pred: float | None, gt: float) -> float:
    """VSI-Bench MRA: mean over θ in {0.50, ..., 0.95} of 1[|pred-gt|/gt <= 1-θ]; None -> 0."""
    if pred is None or gt == 0 or not math.isfinite(pred):
        return 0.0
    rel = abs(pred - gt) / abs(gt)
    # 1e-9: exact boundaries (|11-10|/10 = 0.1 vs 1-0.9 = 0.0999...98 in floats) count as within.
    return sum(rel <= 1 - t + 1e-9 for t in MRA_THRESHOLDS) / len(MRA_THRESHOLDS)


def within_relative(pred: float | None, gt: float, tolerance: float = 0.05) -> bool:
    """Numeric answer counted correct within a relative tolerance (TAC uses 5 %)."""
    if pred is None or not math.isfinite(pred):
        return False
    if gt == 0:
        return abs(pred) <= tolerance
    return abs(pred - gt) / abs(gt) <= tolerance + 1e-9


_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalise_text(s: str) -> str:
    s = s.lower().strip()
    s = "".join(ch for ch in s if ch not in string.punctuation)
    s = _ARTICLES.sub(" ", s)
    return " ".join(s.split())


def open_ended_match(pred: str | None, gt: str) -> bool:
    """Video-MMMU open-ended: equal numbers after rounding to 2 decimals, else equal normalised text."""
    if pred is None:
        return False
    p, g = parse_number(pred), parse_number(gt)
    gt_is_number = g is not None and normalise_text(gt).replace(" ", "").replace(".", "").lstrip("-").isdigit()
    if gt_is_number and p is not None:
        return round(p, 2) == round(g, 2)
    return normalise_text(pred) == normalise_text(gt)
