"""Rule-based extraction of what a reasoning text concludes: the offline default TAC judge.

`think_conclusion(think, options, kind)` returns the LAST explicit conclusion of a `<think>` text:
an option letter (multiple choice), a number (numeric items) or a short text (open-ended), or
`UNKNOWN` when the text never commits to one. It does not judge correctness. Explicit means a
conclusion cue (``the answer is``, ``so``, ``I choose``, ``wait, actually``, ``Option D is
correct``, an option's full text in a concluding sentence, a few non-English forms) immediately
followed (or, for ``X is correct``, preceded) by the value. Listing or discussing options is not a
conclusion; hedges between several options are not either.

`answer_prediction(response, options, kind)` is the same for the final answer: the `<answer>`
block read by the shared scorer functions (`answers.option_letter`, `answers.parse_number`); with
no `<answer>` tag, the last explicit conclusion of the whole output.

Everything here is total (any text in, a value out, never an exception) and deterministic.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from videor2.tasks.common import answers

UNKNOWN = "UNKNOWN"

_LET = "A-J"  # letters recognised before narrowing to the item's options


def _valid_letters(options: list[str] | None, n_options: int | None = None) -> str:
    n = n_options or (len(options) if options else 0) or 5
    return answers.LETTERS[: max(1, min(n, 10))]


# ------------------------------------------------------------------ multiple choice

_OPT_WORD = r"(?:option|choice|letter|opción|opcion|option|选项|選項|вариант)?"
# A cue that ends right before the letter.
_PRE_CUES = [
    # "the (final/correct/best) answer is/should be/must be/: (C)"
    r"answer\s*(?:is|should\s+be|would\s+be|must\s+be|has\s+to\s+be|will\s+be|seems\s+to\s+be|appears\s+to\s+be|is\s+likely|is\s+probably|is\s+clearly|is\s+definitely|here\s+is|=|:|：|-|—)",
    # "I('ll) choose / pick / select / go with / opt for / settle on / lean towards (option) C"
    r"(?:I|I'll|I\s+will|I'd|I\s+would|I'm\s+going\s+to|let's|let\s+me|we|we'll)\s+(?:choose|pick|select|go\s+with|opt\s+for|settle\s+on|stick\s+with|lean\s+(?:towards?|to)|mark|answer)",
    r"(?:going|go)\s+with",
    r"I\s+(?:think|believe|guess|bet|reckon)\s+(?:it's|it\s+is|the\s+answer\s+is|that's)",
    r"(?:corresponds?|points?|leads?|refers?)\s+to",
    # "so / therefore / thus / hence / actually / wait, (it's|it must be|the answer is) C"
    r"(?:so|therefore|thus|hence|actually|wait|ok(?:ay)?|conclusion)\s*[,:]?\s*(?:it(?:'s|\s+is|\s+must\s+be|\s+should\s+be|\s+has\s+to\s+be|\s+would\s+be)|that(?:'s|\s+is|\s+makes\s+it|\s+means)|the\s+answer(?:'s|\s+is)|I\s+(?:think|believe|guess)(?:\s+it's)?|I'll\s+say|it's\s+(?:definitely|clearly|probably))?\s*(?:definitely|clearly|probably|actually|really)?",
    r"(?:it|this|that)\s+(?:must|should|has\s+to|would|will|can\s+only)\s+be",
    r"(?:it|that)(?:'s|\s+is)\s+(?:definitely|clearly|probably|most\s+likely|likely|obviously|indeed)",
    r"(?:most\s+likely|the\s+best\s+(?:fit|match|choice|option)\s+is|best\s+(?:fit|match)\s+is|the\s+(?:correct|right)\s+(?:one|option|choice)\s+is)",
    r"(?:correct\s+(?:option|choice|letter)\s+is|right\s+(?:option|choice)\s+is)",
    # non-English: zh, es, fr, de, ru, pt, it
    r"(?:答案(?:是|为|應該是|应该是|選|选)?|所以(?:答案)?(?:是|选|選)?|因此(?:选|選|是)?|应该选|應該選|选择|選擇|选|選|应该是|應該是)\s*[:：]?",
    r"(?:la\s+respuesta(?:\s+correcta)?\s+es|respuesta\s*:|elijo|escojo|me\s+quedo\s+con|entonces(?:\s+es)?|por\s+lo\s+tanto(?:\s+es)?)(?:\s+la)?",
    r"(?:la\s+(?:bonne\s+)?réponse\s+(?:est|serait)|je\s+choisis|donc(?:\s+c'est)?|c'est\s+donc)",
    r"(?:die\s+(?:richtige\s+)?antwort\s+ist|ich\s+wähle|also(?:\s+ist\s+es)?|daher(?:\s+ist\s+es)?)",
    r"(?:(?:правильный\s+)?ответ\s*(?:[:—–-]|это)?|значит|итак|выбираю)",
    r"(?:a\s+resposta(?:\s+correta)?\s+é|la\s+risposta(?:\s+corretta)?\s+è)",
]
_CUE_SRC = r"(?:" + "|".join(_PRE_CUES) + r")"
_CUE_ONLY = re.compile(_CUE_SRC + r"\s*" + _OPT_WORD, re.IGNORECASE)


@functools.lru_cache(maxsize=32)
def _patterns(valid: str) -> tuple[re.Pattern, re.Pattern]:
    v = f"[{valid}{valid.lower()}]"
    pre = re.compile(
        _CUE_SRC + r"\s*" + _OPT_WORD + r"\s*[\(\[\*\"'“]*\s*(" + v + r")\s*[\)\]\*\"'”]*(?![\w'’])",
        re.IGNORECASE,
    )
    # "Option C is correct", "(B) is the right answer", "B fits best", "C 是正确的".
    post = re.compile(
        r"(?<![\w'’])(?:option|choice)?\s*[\(\[\*]*(" + v + r")[\)\]\*]*\s*"
        r"(?:is|seems|looks|must\s+be|should\s+be)\s+(?:definitely\s+|clearly\s+|therefore\s+|thus\s+|indeed\s+)?(?:the\s+)?"
        r"(?:correct|right|answer|best|most\s+(?:likely|accurate|appropriate|plausible|reasonable)|true|one)(?!\w)"
        r"|(?<![\w'’])[\(\[]?(" + v + r")[\)\]]?\s*(?:fits\s+best|is\s+it|it\s+is)(?!\w)"
        r"|(?<![\w'’])[\(\[]?(" + v + r")[\)\]]?\s*(?:是正确的|正确|是對的|是对的|es\s+(?:la\s+)?correcta|est\s+(?:la\s+)?bonne|ist\s+richtig|верн)",
        re.IGNORECASE,
    )
    return pre, post


def _finditer_overlapping(pat: re.Pattern, text: str):
    pos = 0
    while pos <= len(text):
        m = pat.search(text, pos)
        if not m:
            return
        yield m
        pos = m.start() + 1


# A letter that immediately follows a negation or a question is not a conclusion.
_NEG_BEFORE = re.compile(r"(?:\bnot|n't|\bno|\bnever|不是|不|no\s+es|pas|nicht|не)\s*(?:option|choice)?\s*[\(\[]?$", re.IGNORECASE)
_HEDGE_AFTER = re.compile(r"^\s*[\)\]]?\s*(?:or|and|/|vs\.?|versus|o|ou|oder|или|还是|或)\s+(?:option\s+|choice\s+)?\(?[" + _LET + r"]\b", re.IGNORECASE)
_QUESTION_AFTER = re.compile(r"^[\)\]\*]?\s*\?")
_NEG_AFTER = re.compile(r"^[\)\]\*]?\s*(?:is\s+(?:not|wrong|incorrect|unlikely|out)|isn't|can't|cannot|doesn't|is\s+ruled)", re.IGNORECASE)

_SENT_SPLIT = re.compile(r"(?<=[.!?。！？\n])\s*")
_CONCLUDING = re.compile(
    r"\b(?:so|therefore|thus|hence|answer|conclusion|correct|must|final(?:ly)?|actually|best\s+(?:fit|match)|"
    r"I\s+(?:choose|pick|select|go\s+with|think\s+it's)|that's|that\s+is)\b|所以|答案|因此|respuesta|réponse|antwort|ответ",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Hit:
    pos: int
    value: Any
    how: str


def _letter_hits(text: str, valid: str) -> list[_Hit]:
    hits = []
    pre, post = _patterns(valid)
    seen = set()
    for pat, how in ((pre, "cue"), (post, "post")):
        for m in _finditer_overlapping(pat, text):
            idx = next(i for i in range(1, (m.lastindex or 1) + 1) if m.group(i))
            letter = m.group(idx)
            # bare lowercase letters are words ("so a ...", "answer is a bit"), except "(b)" / "option c"
            raw_start = m.start(idx)
            decorated = (raw_start > 0 and text[raw_start - 1] in "([*\"'“") or re.search(
                r"(?:option|choice|letter|opción|选项|вариант)\s*$", text[max(0, raw_start - 12):raw_start], re.IGNORECASE)
            if letter.islower() and (not decorated or text[raw_start - 1] in "\"'“"):
                continue
            letter = letter.upper()
            if letter not in valid:
                continue
            if how == "cue":
                after = text[m.end(idx):]
                if _HEDGE_AFTER.match(after) or _QUESTION_AFTER.match(after) or _NEG_AFTER.match(after):
                    continue
                # "so A man walks in": the article, not option A
                if letter == "A" and not decorated and re.match(r"\s+(?!is\b|was\b|because\b|since\b|as\b|and\b|for\b|it\b|then\b|here\b|too\b|again\b|after\b|fits\b|matches\b|seems\b)[a-z]", after):
                    continue
                if letter == "I" and re.match(r"\s+[a-z]", after):
                    continue
            if _NEG_BEFORE.search(text[max(0, raw_start - 14):raw_start]):
                continue
            if m.start(idx) not in seen:
                seen.add(m.start(idx))
                hits.append(_Hit(m.start(idx), letter, how))
    return hits


def _cue_text_hits(text: str, options: list[str]) -> list[_Hit]:
    """A cue followed directly by an option's text: 'the correct choice is "3"', 'answer: garlic'."""
    bodies = [answers._norm(answers.strip_option_prefix(o)) for o in options]
    order = sorted((i for i, b in enumerate(bodies) if b), key=lambda i: -len(bodies[i]))
    hits = []
    for m in _CUE_ONLY.finditer(text):
        after = answers._norm(text[m.end(): m.end() + 200])
        after = re.sub(r"^(?:the|an?)\s+", "", after)
        for i in order:
            body = re.sub(r"^(?:the|an?)\s+", "", bodies[i])
            if body and (after == body or after.startswith(body + " ")):
                hits.append(_Hit(m.end(), answers.LETTERS[i], "cue_text"))
                break
    return hits


def _option_text_hits(text: str, options: list[str]) -> list[_Hit]:
    """An option's full text stated in a concluding sentence."""
    hits = _cue_text_hits(text, options)
    bodies = [answers._norm(answers.strip_option_prefix(o)) for o in options]
    if not any(len(b) >= 3 for b in bodies):
        return hits
    pos = 0
    for sentence in _SENT_SPLIT.split(text):
        start = text.find(sentence, pos) if sentence else pos
        pos = max(pos, start + len(sentence))
        if not sentence.strip() or not _CONCLUDING.search(sentence):
            continue
        norm = answers._norm(sentence)
        found = []
        for i, body in enumerate(bodies):
            if len(body) < 3:
                continue
            m = re.search(rf"(?<!\w){re.escape(body)}(?!\w)", norm)
            if m and not re.search(r"(?:\bnot|n t|\bno|never|rather than|instead of|unlike|neither|nor)\s+(?:\w+\s+){0,2}$", norm[: m.start()]):
                found.append((len(body), i))
        if found:
            longest = max(f[0] for f in found)
            best = [i for n, i in found if n == longest]
            # several different options in one concluding sentence is a comparison, not a choice,
            # unless one contains the others ("dark red" vs "red")
            distinct = [i for n, i in found if not any(bodies[i] in bodies[j] and i != j for _, j in found)]
            if len(best) == 1 and len(distinct) == 1:
                hits.append(_Hit(start + len(sentence) - 1, answers.LETTERS[best[0]], "text"))
    return hits


_HEDGE = re.compile(
    r"\b(?:could|might|may)\s+(?:be|either\s+be)\s+(?:either\s+)?(?:option\s+)?\(?[" + _LET + r"]\)?\s*(?:or|and|/)\s"
    r"|\btorn\s+between|\bnot\s+(?:fully\s+|entirely\s+|completely\s+|really\s+|quite\s+)?(?:sure|certain)"
    r"|\bhard\s+to\s+(?:tell|say)|\bcan(?:'t|not)\s+(?:tell|decide|be\s+sure)|\b(?:both|either)\s+(?:seem|look|are|could)\s+(?:plausible|possible|likely|right)"
    r"|\bare\s+both\s+(?:possible|plausible)|no\s+estoy\s+segur|不确定|不確定|pas\s+sûr|nicht\s+sicher|не\s+уверен",
    re.IGNORECASE,
)


def _hedge_hits(text: str) -> list[_Hit]:
    return [_Hit(m.start(), UNKNOWN, "hedge") for m in _HEDGE.finditer(text)]


def conclude_letter(text: str | None, options: list[str] | None = None, n_options: int | None = None) -> str:
    """The option letter a reasoning text concludes last, or UNKNOWN."""
    if not text or not text.strip():
        return UNKNOWN
    try:
        valid = _valid_letters(options, n_options)
        hits = _letter_hits(text, valid) + _hedge_hits(text)
        if options:
            hits += _option_text_hits(text, options)
        if not hits:
            return UNKNOWN
        return max(hits, key=lambda h: h.pos).value
    except Exception:  # noqa: BLE001 - the contract is "never raise"
        return UNKNOWN


# ------------------------------------------------------------------ numbers

_NUM_WORDS = (
    "zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    "sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand"
)
_NUM_TOKEN = re.compile(
    r"(?<![\w.])[-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\w.]*\d)"
    r"|\b(?:" + _NUM_WORDS + r")(?:[\s-]+(?:and[\s-]+)?(?:" + _NUM_WORDS + r"))*\b",
    re.IGNORECASE,
)
_NUM_CUE = re.compile(
    r"\b(?:answer(?:\s+is|\s+should\s+be|\s+would\s+be)?|so|therefore|thus|hence|total(?:\s+is|\s+of)?|in\s+total|in\s+all|altogether|overall|"
    r"estimate|estimated|approximately|roughly|about|around|nearly|close\s+to|that's|that\s+is|which\s+is|which\s+makes|gives|giving|"
    r"equals|makes|actually|final(?:ly)?|result|there\s+(?:are|is|were)|I\s+count(?:ed)?|count\s+is|comes?\s+to|adds\s+up\s+to|"
    r"it's|it\s+is|must\s+be|should\s+be|would\s+be|is\s+about|measures|"
    r"son|hay|en\s+total|il\s+y\s+a|environ|donc|es\s+gibt|sind|insgesamt|etwa|итого|ответ|всего|примерно)\b"
    r"|=|≈|~|答案(?:是|为)?|所以|一共|总共|大约|约",
    re.IGNORECASE,
)
_BOUNDARY = re.compile(r"[.!?。！？;\n](?!\d)")
_NOT_A_NUMBER_ONE = re.compile(r"^one\s+(?:of|on|in|that|which|who|by|at|more|another|side)\b|^one(?:'s)?\s*$", re.IGNORECASE)


def _number_hits(text: str) -> list[_Hit]:
    hits = []
    for cue in _NUM_CUE.finditer(text):
        rest = text[cue.end():]
        stop = _BOUNDARY.search(rest)
        clause = rest[: stop.start()] if stop else rest
        clause = clause[:80]
        for m in _NUM_TOKEN.finditer(clause):
            token = m.group(0)
            before = clause[: m.start()]
            if token.lower() == "one" and (_NOT_A_NUMBER_ONE.match(clause[m.start():]) or re.search(r"(?:the|this|that|each|any|every|no)\s+$", before, re.IGNORECASE)):
                continue
            if re.search(r"(?:\bnot|n't|不是)\s*$", before, re.IGNORECASE):
                break
            after = clause[m.end():]
            if re.match(r"\s*(?:or|to|-|–)\s*[-−]?\d", after) and not re.search(r"\d\s*(?:-|–)\s*\d", token):
                # "between 3 and 5", "3 or 4": a range is a hedge, unless a later cue settles it
                break
            value = answers.parse_number(token)
            if value is not None:
                hits.append(_Hit(cue.start(), value, "num"))
            break
    return hits


def conclude_number(text: str | None) -> Any:
    """The number a reasoning text concludes last (float), or UNKNOWN."""
    if not text or not text.strip():
        return UNKNOWN
    try:
        hits = _number_hits(text) + _hedge_hits(text)
        return max(hits, key=lambda h: h.pos).value if hits else UNKNOWN
    except Exception:  # noqa: BLE001
        return UNKNOWN


# ------------------------------------------------------------------ open-ended

_OPEN_CUE = re.compile(
    r"(?:the\s+(?:final\s+)?answer\s+(?:is|should\s+be|would\s+be)|answer\s*:|so\s+(?:it's|it\s+is|the\s+answer\s+is)|therefore(?:,)?\s+(?:it's|it\s+is|the\s+answer\s+is))\s*",
    re.IGNORECASE,
)


def conclude_text(text: str | None) -> str:
    if not text or not text.strip():
        return UNKNOWN
    last = None
    for m in _OPEN_CUE.finditer(text):
        rest = text[m.end():]
        stop = _BOUNDARY.search(rest)
        value = (rest[: stop.start()] if stop else rest).strip(" \t\"'*“”")
        if value:
            last = value[:200]
    return last or UNKNOWN


# ------------------------------------------------------------------ public API


def think_conclusion(think: str | None, options: list[str] | None = None, kind: str = "mc") -> Any:
    """What the think text explicitly concludes last: letter, number, short text, or UNKNOWN."""
    if kind == "numeric":
        return conclude_number(think)
    if kind == "open":
        return conclude_text(think)
    return conclude_letter(think, options)


def answer_prediction(response: str | None, options: list[str] | None = None, kind: str = "mc") -> Any:
    """What the final answer states: the <answer> block as the shared scorer reads it; with no
    <answer> tag, the last explicit conclusion of the whole output. UNKNOWN when none."""
    text, status = answers.final_answer(response)
    if status == "no_answer_tag":
        parsed = answers.parse_response(response)
        if parsed.status == "truncated":
            return UNKNOWN
        body = parsed.answer or text
        value = think_conclusion(body, options, kind)
        if value != UNKNOWN:
            return value
        short = body.strip()
        if len(short) <= 40:  # a bare "B" or "3.5 meters" with no tags
            value = _read_answer(short, options, kind)
            return UNKNOWN if value is None else value
        return UNKNOWN
    value = _read_answer(text, options, kind)
    return UNKNOWN if value is None else value


def _read_answer(text: str, options: list[str] | None, kind: str):
    if kind == "numeric":
        return answers.parse_number(text)
    if kind == "open":
        return text.strip() or None
    return answers.option_letter(text, options=options or None, n_options=len(options) if options else None)


def is_correct(value: Any, ground_truth: Any, kind: str = "mc", tolerance: float = 0.05) -> bool:
    """Correctness used by the TAC variants: letters equal; numbers within 5 % relative; open text
    by the Video-MMMU rule. UNKNOWN / None is never correct."""
    if value is None or value == UNKNOWN or ground_truth is None:
        return False
    try:
        if kind == "numeric":
            v = value if isinstance(value, (int, float)) else answers.parse_number(str(value))
            g = ground_truth if isinstance(ground_truth, (int, float)) else answers.parse_number(str(ground_truth))
            return g is not None and answers.within_relative(v, float(g), tolerance)
        if kind == "open":
            return answers.open_ended_match(str(value), str(ground_truth))
        return str(value).strip().upper() == str(ground_truth).strip().upper()
    except Exception:  # noqa: BLE001
        return False


def same_value(a: Any, b: Any, kind: str = "mc", tolerance: float = 0.05) -> bool:
    """Think conclusion == answer prediction (UNKNOWN/None never equal anything)."""
    if a is None or b is None or a == UNKNOWN or b == UNKNOWN:
        return False
    return is_correct(a, b, kind, tolerance)
