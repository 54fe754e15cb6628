"""Parsing judge replies. Each parser returns a value or raises `Unparseable` (never guesses)."""

from __future__ import annotations

import json
import math
import re

from videor2.diagnostics.think import UNKNOWN
from videor2.tasks.common.answers import LETTERS, parse_number


class Unparseable(ValueError):
    pass


_REASONING = re.compile(r"<think>.*?</think>", re.IGNORECASE | re.DOTALL)
_FENCE = re.compile(r"^```[a-zA-Z]*\s*|\s*```$")


def _clean(reply: str) -> str:
    text = _REASONING.sub("", reply or "")
    text = _FENCE.sub("", text.strip()).strip()
    return text.strip().strip("*`\"' \t\n").strip()


def parse_think_reply(reply: str, kind: str = "mc", n_options: int = 5):
    text = _clean(reply)
    if re.fullmatch(r"(?:the\s+)?(?:answer\s*(?:is)?\s*[:\-]?\s*)?unknown\.?", text, re.IGNORECASE):
        return UNKNOWN
    if kind == "mc":
        valid = LETTERS[: max(1, min(n_options or 5, 26))]
        m = re.fullmatch(rf"(?:(?:the\s+)?(?:final\s+)?(?:answer|option|choice|letter)\s*(?:is)?\s*[:\-]?\s*)?[\(\[]?([{valid}])[\)\]]?\.?",
                         text, re.IGNORECASE)
        if m and (m.group(1).isupper() or len(text) <= 3):
            return m.group(1).upper()
        raise Unparseable(f"expected one letter from {valid} or UNKNOWN, got {reply[:80]!r}")
    if kind == "numeric":
        m = re.fullmatch(r"(?:(?:the\s+)?answer\s*(?:is)?\s*[:\-]?\s*)?(?:about|approximately|~)?\s*([-+]?\d[\d,]*(?:\.\d+)?)\s*[a-zA-Z²³%\s]{0,20}\.?",
                         text, re.IGNORECASE)
        if m:
            value = parse_number(m.group(1))
            if value is not None and math.isfinite(value):
                return value
        raise Unparseable(f"expected a number or UNKNOWN, got {reply[:80]!r}")
    # open-ended: a short phrase
    if text and len(text) <= 200 and "\n" not in text:
        return text
    raise Unparseable(f"expected a short answer or UNKNOWN, got {reply[:80]!r}")


def _json_objects(text: str):
    depth, start = 0, None
    for i, ch in enumerate(text):
        if ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}" and depth:
            depth -= 1
            if depth == 0 and start is not None:
                yield text[start: i + 1]


def parse_grounding_reply(reply: str) -> tuple[float, str]:
    text = _REASONING.sub("", reply or "")
    for blob in _json_objects(text):
        try:
            obj = json.loads(blob)
        except json.JSONDecodeError:
            continue
        if not isinstance(obj, dict) or "score" not in obj:
            continue
        score = obj["score"]
        if isinstance(score, str):
            score = parse_number(score)
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not math.isfinite(score) or not 0 <= score <= 10:
            raise Unparseable(f"score out of range 0-10: {obj.get('score')!r}")
        rationale = obj.get("rationale", "")
        return float(score), rationale if isinstance(rationale, str) else json.dumps(rationale)
    raise Unparseable(f'expected {{"score": 0-10, "rationale": ...}}, got {reply[:80]!r}')


THINK_FORMAT = {
    "mc": "one option letter or the word UNKNOWN",
    "numeric": "one number (digits only) or the word UNKNOWN",
    "open": "the short answer or the word UNKNOWN",
}
GROUNDING_FORMAT = 'one JSON object {"score": <integer 0-10>, "rationale": "<one short sentence>"}'
