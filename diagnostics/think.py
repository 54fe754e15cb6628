"""Rule-based extraction of what a reasoning text concludes: the offline default TAC judge.

`conclude(think, options, kind, question)` returns the LAST explicit conclusion of a reasoning
text as a `Conclusion` (value, evidence span, confidence, how it was found): an option letter
(multiple choice), a number (numeric items) or a short text (open-ended), or `UNKNOWN` when the
text never commits to one. It does not judge correctness. `think_conclusion(...)` is its value.

How (multiple choice), developed on real model outputs (tests/tac_real, scripts/bench_extractor.py):
- the reasoning is cut into sentences and read from the END; the first sentence, going backwards,
  that names exactly one option and concludes (a conclusion cue such as "therefore", "the answer
  is", "most likely", "I choose"; or being one of the last two sentences) gives the value, so a
  final explicit letter wins over earlier discussion of other letters;
- an option is named by its letter (`\\boxed{C}`, "the answer is (C)", "option C", "Graph C",
  "Image 5" for an option "<image 5>", "C." opening a line; "point A" where the letters label the
  image and there are no option texts), or by its CONTENT: the option's text found in the sentence,
  exactly or fuzzily (rapidfuzz partial ratio ≥ 85, options within 10 points told apart by their
  distinctive words), its words said close together in another form (`_Options._by_words`), its
  formula, or its number(s) ("approximately 30.2" for an option "30.2");
- a negation rules out what it governs within its clause ("not B", "rather than the sled"); "the
  incorrect choice is D" answers an inverted question ("which is NOT ...") and rejects D otherwise;
- a concluding sentence that names several options equally (a hedge, "either B or C"), or whose
  value is no option, is UNKNOWN: the extractor never guesses.
Numbers: the last `\\boxed{}` or cued number ("= 5.0", "the total is 12", "about twelve metres",
"1/3", "\\frac{16}{15}", "2 + 4\\sqrt{3}"), ranges being hedges. Open-ended: the last cued span
("the answer is ...", `\\boxed{...}`), a number when it is one.

`answer_prediction(response, options, kind)` reads the final answer for TAC: the last `<answer>`
block; with none, a clearly marked final answer (`\\boxed{}`, "Final answer: ...") that ends the
output outside a closed think, or an output that is nothing but a letter/number; otherwise UNKNOWN
(an output truncated in its reasoning has no answer: nothing is picked out of reasoning prose).

Everything here is total (any text in, a value out, never an exception) and deterministic.
"""

from __future__ import annotations

import ast
import functools
import math
import operator
import re
from dataclasses import dataclass
from typing import Any

from nltk.stem import PorterStemmer
from rapidfuzz import fuzz

from videor2.tasks.common import answers

UNKNOWN = "UNKNOWN"


@dataclass(frozen=True)
class Conclusion:
    """What a reasoning text concludes. `evidence` is the sentence the value was read from."""

    value: Any = UNKNOWN
    evidence: str | None = None
    confidence: float = 0.0
    how: str = "none"

    @property
    def found(self) -> bool:
        return self.value != UNKNOWN


NOTHING = Conclusion()

# ------------------------------------------------------------------ the reasoning text

_FENCE = re.compile(r"^[ \t]*```[^\n]*$", re.MULTILINE)
_THINK_OPEN = re.compile(r"<\s*think\s*>", re.IGNORECASE)
_THINK_CLOSE = re.compile(r"<\s*/\s*think\s*>", re.IGNORECASE)
_ANSWER_OPEN = re.compile(r"<\s*answer\s*>", re.IGNORECASE)
_ANSWER_BLOCK = re.compile(r"<\s*answer\s*>(.*?)(?:<\s*/\s*answer\s*>|$)", re.IGNORECASE | re.DOTALL)
_ANY_TAG = re.compile(r"<\s*/?\s*(?:think|answer|glue)\s*>", re.IGNORECASE)


def reasoning_text(response: str | None) -> str | None:
    """The reasoning of a response: its `<think>` blocks; an unclosed `<think>` up to `<answer>` or
    the end; with no think tag, the text before `<answer>` (a closing `</think>` alone: the text
    before it). None when there is none (e.g. the output is only an answer)."""
    text = _FENCE.sub("", response or "")
    if not text.strip():
        return None
    opens = list(_THINK_OPEN.finditer(text))
    if opens:
        parts = []
        pos = 0
        for o in opens:
            if o.start() < pos:
                continue
            close = _THINK_CLOSE.search(text, o.end())
            if close is None:
                ans = _ANSWER_OPEN.search(text, o.end())
                parts.append(text[o.end(): ans.start() if ans else len(text)])
                break
            parts.append(text[o.end(): close.start()])
            pos = close.end()
        body = "\n".join(p.strip() for p in parts).strip()
        return body or None
    close = _THINK_CLOSE.search(text)
    if close is not None:
        return text[: close.start()].strip() or None
    ans = _ANSWER_OPEN.search(text)
    body = text[: ans.start()] if ans else text
    body = _ANY_TAG.sub(" ", body).strip()
    if not ans:  # no tags at all: a closing "Final answer: B" / \boxed{B} line is the answer, not reasoning
        sentences = _sentences(body)
        if len(sentences) > 1 and _MARKED_FINAL.search(sentences[-1][1]):
            body = body[: sentences[-1][0]].strip()
    return body or None


# ------------------------------------------------------------------ sentences

_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+(?=[^\s\d])|\n\s*\n|\n(?=\s*(?:[-*•]|\d+[.)]|[A-Z][.)]\s|#))|(?<=[。！？])")
_LATEX_NOISE = re.compile(r"\\(?:left|right|displaystyle|quad|qquad|,|;|!)|\\\(|\\\)|\\\[|\\\]|\$")


_JOIN_NEXT = re.compile(r"(?:[:：]|\\\[|\\\(|=)\s*$")


def _sentences(text: str) -> list[tuple[int, str]]:
    """(start offset, sentence) pairs; lines of a list and paragraphs are sentences too. A sentence
    ending in ":" or in an option letter ("the answer is A.") is joined with the next one, so
    "the answer is:\nA. <text>" and "is A. Markovnikov orientation." stay together."""
    out: list[list] = []
    pos = 0
    cuts = [m for m in _SENTENCE_END.finditer(text)] + [None]
    for m in cuts:
        end = m.start() if m else len(text)
        piece = text[pos:end]
        if piece.strip():
            if out and _JOIN_NEXT.search(out[-1][1]):
                out[-1][1] = text[out[-1][0]:end]
            else:
                out.append([pos, piece])
        if m:
            pos = m.end()
    return [(a, b) for a, b in out]


_CUE = re.compile(
    r"\b(?:so|therefore|thus|hence|consequently|accordingly|overall|in\s+conclusion|conclu\w+|answer|correct|"
    r"right\s+(?:one|option|choice)|best|most\s+(?:likely|appropriate|suitable|accurate|plausible|reasonable|probable|"
    r"fitting|consistent|similar)|least|likely|final(?:ly)?|must|should\s+be|would\s+be|appears?\s+to|seems?\s+to|"
    r"matches|match|fits?|aligns?|consistent\s+with|indicates?|suggests?|implies|closest|choose|chose|pick|select|"
    r"go\s+with|opt\s+for|given\s+(?:this|these|that|the)|based\s+on|which\s+means|this\s+means|we\s+(?:get|find|have)|"
    r"confirms?|is\s+named|identif\w+|option\s+[A-Z]|actually|wait)\b|所以|答案|因此|故选|选",
    re.IGNORECASE,
)
_UNCERTAIN = (r"\bnot\s+(?:fully\s+|entirely\s+|completely\s+|really\s+|quite\s+|100%\s+)?(?:sure|certain)|"
              r"\bor\s+(?:possibly|perhaps|maybe)\b|"
              r"\bcan(?:'t|not)\s+(?:tell|determine|decide|be\s+(?:sure|determined|certain))|\bhard\s+to\s+(?:tell|say)|"
              r"\b(?:both|either)\s+(?:are|is|seem|look|could\s+be)\s+(?:\w+\s+)?(?:possible|plausible|likely|right)|"
              r"\bare\s+both\s+(?:possible|plausible)|\bimpossible\s+to\s+(?:tell|determine)|\btorn\s+between|"
              r"no\s+estoy\s+segur|pas\s+s[uû]r|nicht\s+sicher|не\s+уверен|不确定|不確定")
_HEDGE = re.compile(r"\beither\b|\bor\b|\bboth\b|\bunclear\b|\bnone\s+of\s+the\s+(?:options|choices)|" + _UNCERTAIN,
                    re.IGNORECASE)
_UNCERTAINTY = re.compile(_UNCERTAIN, re.IGNORECASE)
_NEGATION = re.compile(
    r"(?:\bnot|n't|\bno|\bnever|\bneither|\bnor|\brather\s+than|\binstead\s+of|\bunlike|\bexcept|\bexclude|"
    r"\brule\s+out|\bruled\s+out|\beliminat\w+|\bincorrect|\bwrong|\bunlikely|\bdoesn't|\bcannot)\b",
    re.IGNORECASE,
)
_NEG_AFTER = re.compile(
    r"^[\s\)\]\*\"'”]*(?:(?:is|are|was|seems|would\s+be|can\s+be)\s+(?:also\s+|clearly\s+|definitely\s+)?"
    r"(?:not|incorrect|wrong|unlikely|ruled\s+out|eliminated|excluded|false|inconsistent|less\s+likely)|isn't|aren't|"
    r"does\s+not|doesn't|do\s+not|don't|can(?:not|'t))\b",
    re.IGNORECASE,
)
_INTERVENES = re.compile(r"\b(?:is|are|was|be|:|=)\b|:|=")


_CLAUSE_BREAK = re.compile(r"\b(?:so|therefore|thus|hence|but|while|whereas|because|since|instead)\b", re.IGNORECASE)
# questions that ask for the one option that is NOT true / least likely / an exception
_INVERTED = re.compile(r"\b(?:NOT|EXCEPT|except|least|incorrect|false|untrue|wrong|cannot|can't|"
                       r"not\s+(?:true|correct|accurate|possible|likely|shown|mentioned|included|consistent|supported))\b")


def inverted_question(question: str | None) -> bool:
    return bool(question and _INVERTED.search(question))


def _negated(sentence: str, start: int, end: int, inverted: bool = False) -> bool:
    """Whether a mention is ruled out rather than chosen: "not B", "rather than B", "B is incorrect".
    A negation in the subject of a copula ("the incorrect choice is D", "the one that does not fit
    is: A") describes the mention: that is the answer to an inverted question ("which is NOT ..."),
    and a rejection otherwise. A new clause between them ("C is not correct, so the answer is D",
    "not B, so I pick A") ends the negation's reach."""
    before = sentence[max(0, start - 160): start]
    clause = re.split(r"[.:;]", before)[-1]
    last = None
    for last in _NEGATION.finditer(clause):
        pass
    if last is not None:
        between = clause[last.end():]
        if _CLAUSE_BREAK.search(between):
            pass  # "C is not correct, so the answer is D"
        elif not _INTERVENES.search(between) or not inverted:
            return True
    return bool(_NEG_AFTER.match(sentence[end: end + 40]))


# ------------------------------------------------------------------ numbers (also in LaTeX)

_FRAC = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_SQRT = re.compile(r"\\sqrt\s*\{([^{}]*)\}|√\s*\{?([\d.]+|\([^()]*\))\}?")
_EXPR_OK = re.compile(r"^[\d.+\-*/()\s^πe]*$|^[\d.+\-*/()\s^]*(?:sqrt\([^()]*\)[\d.+\-*/()\s^]*)*$")
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.Pow: operator.pow, ast.USub: operator.neg, ast.UAdd: operator.pos}


def _eval(node):
    if isinstance(node, ast.Expression):
        return _eval(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        left, right = _eval(node.left), _eval(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > 10:
            raise ValueError("exponent too large")
        return _OPS[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_eval(node.operand))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "sqrt" and len(node.args) == 1:
        return math.sqrt(_eval(node.args[0]))
    if isinstance(node, ast.Name) and node.id == "pi":
        return math.pi
    raise ValueError("not arithmetic")


def expression_value(text: str | None) -> float | None:
    """The value of a short arithmetic expression as models write it: "24/7", "\\frac{16}{15}",
    "2 + 4\\sqrt{3}", "6+2√3", "(18√61+108)/25", "3.42 m", "349°". None when it is not one."""
    if not text:
        return None
    s = str(text).strip()
    s = re.sub(r"\\boxed\s*\{(.*)\}", r"\1", s)
    s = _LATEX_NOISE.sub(" ", s)
    s = re.sub(r"\\text\s*\{[^{}]*\}|\\mathrm\s*\{[^{}]*\}|\\,|~", " ", s)
    s = _SQRT.sub(lambda m: f"sqrt({m.group(1) or m.group(2)})", s)
    for _ in range(4):
        s = _FRAC.sub(r"((\1)/(\2))", s)
    s = s.replace("\\pi", "pi").replace("π", "pi").replace("\\times", "*").replace("×", "*").replace("\\cdot", "*")
    s = s.replace("−", "-").replace("^", "**").replace("{", "(").replace("}", ")")
    s = re.sub(r"(?<=\d),(?=\d{3}\b)", "", s)
    if re.fullmatch(r"\s*-?\s*pi\s*", s):  # "π" alone (a unit-less word would be stripped below)
        return -math.pi if "-" in s else math.pi
    s = re.sub(r"\s*(?:°|degrees?|%|[a-zA-Z\u4e00-\u9fff]+\^?\d?)\s*$", "", s) if not s.strip().endswith(")") or "sqrt" not in s else s
    s = re.sub(r"(?<=[\d)])\s*(?=sqrt|pi|\()", "*", s)
    s = re.sub(r"(?<=\))\s*(?=\d)", "*", s)
    s = s.strip().rstrip(".")
    if not s or not re.fullmatch(r"[\d.+\-*/() ]*(?:(?:sqrt|pi)[\d.+\-*/() ]*)*", s) or not re.search(r"\d", s):
        return None
    try:
        value = _eval(ast.parse(s, mode="eval"))
    except (SyntaxError, ValueError, ZeroDivisionError, OverflowError, TypeError, RecursionError):
        return None
    return value if math.isfinite(value) else None


# ------------------------------------------------------------------ multiple choice

@dataclass(frozen=True)
class _Mention:
    letter: str
    strength: int  # 3 explicit answer, 2 letter reference, 1 content
    score: float
    start: int
    end: int


def _valid_letters(options: list[str] | None, question: str | None) -> str:
    if options:
        return answers.LETTERS[: max(1, min(len(options), 26))]
    found = re.findall(r"(?:^|\n|\s)\(?([A-J])[.)]\s", question or "")
    n = max((ord(c) - 64 for c in found), default=0)
    return answers.LETTERS[: max(n, 5)]


def _strong_patterns(valid: str) -> list[re.Pattern]:
    v = f"[{valid}{valid.lower()}]"
    V = f"[{valid}]"
    return [
        re.compile(rf"\\boxed\s*\{{\s*\(?\s*({v})\s*\)?\s*(?:[.:][^{{}}]*)?\}}"),
        re.compile(rf"\banswer\s*(?:is|should\s+be|would\s+be|must\s+be|will\s+be|here\s+is|=|:|：)\s*(?:option|choice)?\s*[:(\[\"'*“]*\s*({V})\b(?![\w'’])(?!\s+[a-z]{{2,}}\s+[a-z])", re.IGNORECASE),
        re.compile(rf"\b(?:correct|right|best|final|most\s+\w+)\s+(?:option|choice|answer|letter|one|statement)\s*(?:is|would\s+be|=|:)?\s*[:(\[\"'*“]*\s*({V})\b(?![\w'’])", re.IGNORECASE),
        re.compile(rf"\b(?:I|I'll|I\s+will|I\s+would|we|let's)\s+(?:choose|pick|select|go\s+with|opt\s+for)\s*(?:option|choice|point|answer)?\s*[:(\[\"'*“]*\s*({V})\b(?![\w'’])", re.IGNORECASE),
        re.compile(rf"(?<![\w'’])[(\[\"'*“]*\s*(?:option|choice)?\s*({V})[)\]\"'*”]*\s+(?:is|would\s+be|seems|must\s+be)\s+(?:the\s+)?(?:correct|right|best|most\s+\w+|answer)\b", re.IGNORECASE),
        re.compile(rf"\b(?:option|choice|statement|letter)\s+(?:is|would\s+be|=)\s*[:(\[\"'*“]*\s*({V})\b(?![\w'’])", re.IGNORECASE),
        # "so it's B, not C", "So, B.", "That leaves B", "it must be D"
        re.compile(rf"(?i:\b(?:it's|it\s+is|it\s+must\s+be|it\s+has\s+to\s+be|that's|that\s+leaves|which\s+leaves|"
                   rf"leaves\s+(?:us\s+with\s+)?(?:option\s+)?|left\s+with|so|thus|therefore|hence))\s*,?\s*[(\[\"'*“]*\s*({V})\b(?![\w'’])(?!\s+[a-z])"),
        # other languages: "la respuesta correcta es la D", "donc c'est C", "die richtige Antwort ist A"
        re.compile(rf"(?i:respuesta(?:\s+correcta)?\s+es(?:\s+la)?|r[ée]ponse(?:\s+correcte)?\s+est|c'est|antwort\s+ist|"
                   rf"ответ\s*(?:[:—–-]|это)?|resposta(?:\s+correta)?\s+[ée]|risposta(?:\s+corretta)?\s+[èe])\s*[(\[\"'*“]*\s*({V})\b"),
        re.compile(rf"(?:答案|故选|所以选|应选|选)\s*(?:是|为)?\s*[:：]?\s*\(?({V})\)?"),
    ]


def _reference_patterns(valid: str) -> list[re.Pattern]:
    V = f"[{valid}]"
    v = f"[{valid.lower()}]"
    return [
        re.compile(rf"\b(?:option|choice|letter|graph|image|figure|picture|diagram|statement|answer|shape|item)\s*[:(\[\"'*“]*\s*({V})\b(?![\w'’])", re.IGNORECASE),
        re.compile(rf"\(({V}|{v})\)"),
        re.compile(rf"(?:^|\n)\s*[*\-•]*\s*\**({V})[.):：]\**\s"),
        re.compile(rf"[\"'“‘]({V})[\"'”’]"),
        re.compile(rf"(?:\bis|\bbe|:)\s*\**({V})\**\s*(?:[.!,;]|$)"),
    ]


_STEMMER = PorterStemmer()
_STOP_WORDS = ("a an the of to in on at for and or with by from that this it its is are was were be been as "
               "he she they his her their them there which who what s have has had do does did can will would could "
               "should may might").split()
_STOP = frozenset(_STOP_WORDS) | frozenset(_STEMMER.stem(w) for w in _STOP_WORDS)  # "was" stems to "wa"
_NEG_WORDS = frozenset({"not", "no", "never", "non", "nt", "neither", "nor"})


@functools.lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return _STEMMER.stem(word)


def _stemmed(norm: str) -> str:
    """Words reduced to their stems ("stands beside" and "stand beside" meet)."""
    return " ".join(_stem(w) for w in norm.split())


def _norm_option(option: str) -> str:
    s = answers.strip_option_prefix(option or "")
    s = _LATEX_NOISE.sub(" ", s)
    s = re.sub(r"\\(?:mathrm|text|textbf|mathbf)\s*\{([^{}]*)\}", r"\1", s)
    return answers._norm(s)


def _option_numbers(option: str) -> list[float]:
    s = answers.strip_option_prefix(option or "")
    s = re.sub(r"[a-zA-Z]+\s*\^\s*\{?\d\}?|\$", " ", s)  # units with exponents: m^{3}
    value = expression_value(s)
    if value is not None:
        return [value]
    return [float(x.replace(",", "")) for x in re.findall(r"-?\d+(?:,\d{3})*(?:\.\d+)?", s)]


def _numbers_in(sentence: str) -> list[float]:
    out = []
    # a fraction is one value: "1/4" is 0.25, not 1 and 4
    for m in re.finditer(r"\\[dt]?frac\s*\{[^{}]*\}\s*\{[^{}]*\}|(?<![\d/])\d+\s*/\s*\d+(?![\d/]|\.\d)|-?\d+(?:,\d{3})*(?:\.\d+)?",
                         sentence):
        token = m.group(0)
        v = expression_value(token) if "frac" in token or "/" in token else float(token.replace(",", ""))
        if v is not None:
            out.append(v)
    return out


def _same_number(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


WORD_SHARE = 0.66   # _by_words: share of an option's content words the sentence must have
WORD_RIVAL = 0.34   # ... and the most of its own distinctive words another option may have there


class _Options:
    """The options of one item, prepared once for matching against many sentences."""

    def __init__(self, options: list[str] | None):
        self.raw = list(options or [])
        self.norm = [_stemmed(_norm_option(o)) for o in self.raw]
        self.numbers = [_option_numbers(o) for o in self.raw]
        self.images = {}
        for i, o in enumerate(self.raw):
            m = re.fullmatch(r"\s*<\s*image\s*(\d+)\s*>\s*", o or "", re.IGNORECASE)
            if m:
                self.images[m.group(1)] = answers.LETTERS[i]
        numeric = [n for n in self.numbers if n]
        # options that are numbers are matched by value, not by text
        self.by_number = len(numeric) == len(self.raw) and len(self.raw) > 1 and all(
            len(n) >= 1 for n in self.numbers) and len({tuple(n) for n in self.numbers}) == len(self.raw)
        # content words of each option, and those no other option has (for _by_words)
        self.content = [set(o.split()) - _STOP for o in self.norm]
        self.own = [c - set().union(*(self.content[j] for j in range(len(self.content)) if j != i))
                    for i, c in enumerate(self.content)]
        # formulas are matched as written, ignoring spacing, braces and delimiters
        self.formulas = [_formula_key(answers.strip_option_prefix(o or "")) if _FORMULA.search(o or "") else ""
                         for o in self.raw]

    def content_mentions(self, sentence: str) -> list[_Mention]:
        if not self.raw:
            return []
        out: list[_Mention] = []
        if self.images:
            for m in re.finditer(r"\b(?:image|picture|graph|figure)\s*(\d+)\b", sentence, re.IGNORECASE):
                if m.group(1) in self.images:
                    out.append(_Mention(self.images[m.group(1)], 2, 100.0, m.start(), m.end()))
            return out
        if any(self.formulas):
            key = _formula_key(sentence)
            hits = [i for i, f in enumerate(self.formulas)
                    if len(f) >= 4 and re.search(rf"(?<![\w.]){re.escape(f)}(?![\w.])", key)]
            hits = [i for i in hits if not any(j != i and self.formulas[i] in self.formulas[j] for j in hits)]
            if len(hits) == 1:
                pos = max(sentence.rfind("="), 0)
                return [_Mention(answers.LETTERS[hits[0]], 1, 100.0, pos, pos + 1)]
        if self.by_number:
            found = _numbers_in(_LATEX_NOISE.sub(" ", sentence))
            if not found:
                return out
            hits = [i for i, nums in enumerate(self.numbers) if all(any(_same_number(n, f) for f in found) for n in nums)
                    and any(_same_number(n, found[-1]) for n in nums)]
            if hits:
                most = max(len(self.numbers[i]) for i in hits)
                best = [i for i in hits if len(self.numbers[i]) == most]
                if len(best) == 1:
                    pos = sentence.rfind(str(self.numbers[best[0]][0]).rstrip("0").rstrip(".")) if self.numbers[best[0]] else -1
                    pos = max(pos, 0)
                    out.append(_Mention(answers.LETTERS[best[0]], 1, 100.0, pos, pos + 1))
            return out
        norm_sentence = _stemmed(answers._norm(_LATEX_NOISE.sub(" ", sentence)))
        if not norm_sentence:
            return []
        picked = self._by_text(norm_sentence)
        if picked is not None:
            score, i, span = picked
            start, end = _map_span(sentence, norm_sentence, span)
            out.append(_Mention(answers.LETTERS[i], 1, score, start, end))
        return out

    def _by_text(self, sent: str):
        """(option index, score, span in `sent`) of the one option whose text the sentence states,
        or None. Exact (stemmed) containment first; otherwise the fuzzy partial ratio, where options
        within 10 points of the best are told apart by their distinctive words (those no other
        option has), negations included ("is inside" vs "is not inside")."""
        found = []
        for i, body in enumerate(self.norm):
            if len(body) < 2:
                continue
            single = " " not in body
            if single and any(body in other.split() for j, other in enumerate(self.norm) if j != i):
                continue  # "balancing" says nothing between itself and "catch his balance"
            m = re.search(rf"(?<!\w){re.escape(body)}(?!\w)", sent)
            if m:
                found.append((100.0, i, (m.start(), m.end())))
            elif 4 <= len(body) <= len(sent) and not single:  # one word matches whole ("cycling" is not in "bicycle")
                al = fuzz.partial_ratio_alignment(body, sent, score_cutoff=75)
                if al:
                    found.append((al.score, i, (al.dest_start, al.dest_end)))
        if not found or max(f[0] for f in found) < 85:
            return self._by_words(sent)
        found.sort(key=lambda x: -x[0])
        best = found[0][0]
        close = [f for f in found if f[0] >= best - 10]
        if len(close) > 1:
            # exact hits: an option inside another one's text ("red" in "dark red") gives way to the longer
            exact = [f for f in close if f[0] == 100.0]
            if len(exact) > 1:
                exact = [f for f in exact if not any(g is not f and self.norm[f[1]] in self.norm[g[1]] for g in exact)]
                close = exact if len(exact) == 1 else close
        if len(close) > 1:
            close = [f for f in close if self._distinct_ok(f[1], [g[1] for g in close], sent, f[2])]
        if len(close) != 1:
            return None
        return close[0]

    def _by_words(self, sent: str):
        """A paraphrase that keeps the option's words in another order or form ("she is copying his
        gestures" for "copy boy s gestures"): the one option with at least WORD_SHARE of its content
        words in the sentence, and of the words that set it apart from the other options, while no
        other option has more than WORD_RIVAL of its own distinctive words there."""
        words = sent.split()
        have = set(words)
        content, own = self.content, self.own
        # one short word is no evidence ("play"); one long one is ("a conversation", "a stylet")
        picks = [i for i, c in enumerate(content)
                 if (len(c) >= 2 or len(max(c, key=len, default="")) >= 6) and own[i]
                 and min(len(c & have) / len(c), len(own[i] & have) / len(own[i])) >= WORD_SHARE]
        if len(picks) != 1:
            return None
        i = picks[0]
        if any(own[j] and len(own[j] & have) / len(own[j]) > WORD_RIVAL for j in range(len(content)) if j != i):
            return None
        at = _tightest(words, content[i] & have)
        if at[-1] - at[0] + 1 > 3 * len(self.norm[i].split()) + 3:
            return None  # the words are scattered over the sentence, not said together
        if (set(words[max(0, at[0] - 2): at[-1] + 1]) & _NEG_WORDS) - content[i]:
            return None  # "in exile in France, not England"
        start = len(" ".join(words[: at[0]])) + (1 if at[0] else 0)
        end = len(" ".join(words[: at[-1] + 1]))
        return 100.0 * len(content[i] & have) / len(content[i]), i, (start, end)

    def _distinct_ok(self, i: int, rivals: list[int], sent: str, span: tuple[int, int]) -> bool:
        words = set(self.norm[i].split())
        others = set().union(*(set(self.norm[j].split()) for j in rivals if j != i))
        window = set(sent[max(0, span[0] - 40): span[1] + 40].split())
        own = words - others - _STOP
        theirs = others - words - _STOP
        if own and not own <= window:
            return False
        return not (theirs & window & _NEG_WORDS) and not (theirs and theirs <= window)


_FORMULA = re.compile(r"\\[a-zA-Z]+|[\^_=]")  # LaTeX commands, scripts, equations ("$5 million" is no formula)


def _formula_key(text: str) -> str:
    """A formula reduced to what it says: "$k_{et}=(\\frac{k_{1}}{2})$" and "k_{et} = \\frac{k_1}{2}" meet."""
    text = re.sub(r"\\(?:left|right|displaystyle|[,;!]|quad|qquad)|\\[dt]frac", lambda m: "\\frac" if "frac" in m.group() else "",
                  text)
    return re.sub(r"[\s${}()\[\]]|\\[()\[\]]", "", text)


def _tightest(words: list[str], wanted: set[str]) -> list[int]:
    """Positions of `wanted` in `words` within the shortest stretch that holds each of them once."""
    best = None
    for a in range(len(words)):
        if words[a] not in wanted:
            continue
        seen = set()
        for b in range(a, len(words)):
            if words[b] in wanted:
                seen.add(words[b])
                if seen == wanted:
                    if best is None or b - a < best[1] - best[0]:
                        best = (a, b)
                    break
    a, b = best
    return [k for k in range(a, b + 1) if words[k] in wanted]


def _map_span(sentence: str, norm: str, span: tuple[int, int]) -> tuple[int, int]:
    """A span of the normalised sentence mapped back onto the sentence, word for word (normalising
    keeps one word per run of word characters), so that the negation check sees the words before it."""
    if not norm:
        return 0, 0
    text = _LATEX_NOISE.sub(lambda m: " " * len(m.group()), sentence)
    text = re.sub(r"(?<=\d)\.(?=\d)", "p", text)
    spans = [m.span() for m in re.finditer(r"[^\W_]+", text)]
    if len(spans) != len(norm.split()):  # cannot happen for text _norm made; approximate rather than fail
        ratio = len(sentence) / max(len(norm), 1)
        return int(span[0] * ratio), int(span[1] * ratio)
    first = norm[: span[0]].count(" ")
    last = norm[: max(span[1] - 1, span[0])].count(" ")
    return spans[first][0], spans[min(last, len(spans) - 1)][1]


_LABELLED = re.compile(r"\b(?!(?:is|are|was|be|and|or|the|to|of|not|than|option|choice)\b)[A-Za-z]{3,}\s+([A-J])(?=\s*[.,;!?)]|\s*$)")


def _mentions(sentence: str, valid: str, opts: _Options, lower_ok: bool, inverted: bool = False) -> list[_Mention]:
    found: list[_Mention] = []
    for strength, pats in ((3, _strong_patterns(valid)), (2, _reference_patterns(valid))):
        for pat in pats:
            for m in pat.finditer(sentence):
                raw = m.group(1)
                letter = raw.upper()
                if letter not in valid:
                    continue
                if raw.islower():
                    # "(b)" always names an option; a bare "a"/"b" only where the item uses lowercase letters
                    wrapped = sentence[max(0, m.start(1) - 1): m.end(1) + 1] == f"({raw})"
                    if not (wrapped or lower_ok) or re.match(r"\s+[a-z]", sentence[m.end(1):]):
                        continue
                if letter == "A" and strength == 2 and re.match(r"\s+[a-z]", sentence[m.end(1):]) and "(" not in m.group(0):
                    continue  # the article "A man ..."
                if letter == "I" and re.match(r"\s+[a-z]", sentence[m.end(1):]):
                    continue  # the pronoun
                if _negated(sentence, m.start(1), m.end(1), inverted):
                    continue
                found.append(_Mention(letter, strength, 100.0, m.start(1), m.end(1)))
    if not opts.raw:  # no option texts: the letters label things in the image ("the odd one is jug B.")
        found += [_Mention(m.group(1), 2, 100.0, m.start(1), m.end(1)) for m in _LABELLED.finditer(sentence)
                  if m.group(1) in valid and not _negated(sentence, m.start(1), m.end(1), inverted)]
    for mention in opts.content_mentions(sentence):
        if not _negated(sentence, mention.start, mention.end, inverted):
            found.append(mention)
    return found


def _choice(mentions: list[_Mention]) -> tuple[str | None, bool]:
    """(letter, ambiguous): the one option a sentence names at its strongest level."""
    if not mentions:
        return None, False
    top = max(m.strength for m in mentions)
    letters = {m.letter for m in mentions if m.strength == top}
    if len(letters) == 1:
        return letters.pop(), False
    if top == 3:  # several explicit answers in one sentence: the last one stated
        return max((m for m in mentions if m.strength == 3), key=lambda m: m.start).letter, False
    return None, True


_LOWERCASE_LETTERS = re.compile(r"\([a-e]\)|(?:^|\s)[a-e]\)\s|\b(?:either|with)\s+a\s+or\s+b\b")
_HYPOTHESIS = re.compile(r"^\W*(?:if|suppose|assum\w*|let's\s+(?:try|assume|check|test|consider)|for\s+example|e\.g\.|check)\b",
                         re.IGNORECASE)


def looping(text: str) -> bool:
    """A text that ends in a loop: a short piece repeated at least 5 times in a row (generation ran
    until the token limit)."""
    tail = text[-400:]
    return bool(re.search(r"(.{4,80}?)(?:\s*\1){4,}\s*\S{0,80}$", tail, re.DOTALL))


_INLINE_LETTER = re.compile(r"\\\(\s*([A-Za-z])\s*\\\)")


def conclude_letter(text: str | None, options: list[str] | None = None, question: str | None = None) -> Conclusion:
    if not text or not text.strip() or looping(text):
        return NOTHING
    valid = _valid_letters(options, question)
    opts = _Options(options)
    inverted = inverted_question(question)
    lower_ok = bool(_LOWERCASE_LETTERS.search(question or "")) or bool(
        options and any(re.match(r"\s*\(?[a-e][.)]\s", o or "") for o in options))
    sentences = _sentences(text)
    last = len(sentences) - 1
    fallback = None  # a mention in one of the last two sentences without a conclusion cue
    for k in range(last, -1, -1):
        _, sentence = sentences[k]
        if _HYPOTHESIS.match(sentence):
            continue
        # "point \( A \)": a letter in inline LaTeX reads as the letter (same length, so spans stay)
        sentence = _INLINE_LETTER.sub(lambda m: m.group(1).center(len(m.group(0))), sentence)
        mentions = _mentions(sentence, valid, opts, lower_ok, inverted)
        strong = [m for m in mentions if m.strength == 3]
        if not strong and _UNCERTAINTY.search(sentence) and fallback is None:
            return Conclusion(UNKNOWN, sentence.strip()[:300], 0.7, "hedge")  # "not sure; both possible"
        if not mentions:
            if opts.by_number and fallback is None and _STRONG_ANCHOR.search(sentence):
                value = conclude_number(sentence).value
                if value != UNKNOWN and not any(_same_number(value, n) for nums in opts.numbers for n in nums):
                    # the reasoning's final value is no option ("so the sum is 18 cm²" for 4/6/8/9/10 cm)
                    return Conclusion(UNKNOWN, sentence.strip()[:300], 0.6, "no_option")
            continue
        cued = bool(_CUE.search(sentence)) or bool(strong)
        letter, ambiguous = _choice(mentions)
        if not cued:
            complete = re.search(r"[.!?。！？)\]]\W*$", sentence.strip())
            if k >= last - 1 and fallback is None and not ambiguous and complete:
                fallback = (letter, sentence, max(m.strength for m in mentions if m.letter == letter))
            continue
        if ambiguous:
            if _HEDGE.search(sentence):
                return Conclusion(UNKNOWN, sentence.strip()[:300], 0.6, "hedge")
            continue
        strength = max(m.strength for m in mentions if m.letter == letter)
        return _letter_conclusion(letter, sentence, strength, cued=True)
    if fallback is not None:
        return _letter_conclusion(fallback[0], fallback[1], fallback[2], cued=False)
    return NOTHING


def _letter_conclusion(letter: str, sentence: str, strength: int, cued: bool) -> Conclusion:
    confidence = {3: 0.95, 2: 0.85, 1: 0.8}[strength] * (1.0 if cued else 0.85)
    how = {3: "letter", 2: "letter_reference", 1: "option_content"}[strength]
    return Conclusion(letter, sentence.strip()[:300], round(confidence, 3), how)


# ------------------------------------------------------------------ numbers

_NUM_CUE = re.compile(
    r"\b(?:answer|so|therefore|thus|hence|total|in\s+total|in\s+all|altogether|overall|estimate[ds]?|approximately|roughly|"
    r"about|around|nearly|close\s+to|that's|that\s+is|which\s+is|gives?|giving|equals|makes|actually|final(?:ly)?|result|"
    r"there\s+(?:are|is|were)|count(?:ed|ing)?|comes?\s+to|adds?\s+up\s+to|must\s+be|should\s+be|would\s+be|is|are|was|"
    r"measures|we\s+have|have|has|contains?|shows?|see)\b|=|≈|~|答案|所以|一共|总共|大约|约",
    re.IGNORECASE,
)
# where the value follows: the last of these in a sentence is the anchor ("... is moving at 24/7 ft/s
# when the bottom is 7 ft away": "therefore ... at" anchors 24/7, not the 7 of the subordinate clause)
_NUM_ANCHOR = re.compile(
    r"\b(?:answer(?:\s+is)?|therefore|thus|hence|so|total(?:\s+is)?|in\s+total|altogether|final(?:ly)?|result|"
    r"approximately|about|around|roughly|equals|comes?\s+to|adds?\s+up\s+to|there\s+(?:are|is|were)|we\s+have|contains?|"
    r"count(?:ed)?|is|are|be|at|of)\b|=|≈|:|答案|一共|总共",
    re.IGNORECASE,
)
_STRONG_ANCHOR = re.compile(r"\b(?:answer|therefore|thus|hence|so|total|final(?:ly)?|result|altogether|in\s+total)\b|≈|答案",
                            re.IGNORECASE)
_COPULA = re.compile(r"is|are|was|be|=|equals", re.IGNORECASE)
_SUBORDINATE = re.compile(r"\b(?:when|if|where|since|because|while|given|assuming)\b", re.IGNORECASE)
_MATH_SPAN = re.compile(
    r"(?<![A-Za-z0-9_^])(?:[-−]\s*)?(?:\\(?:[dt]?frac|sqrt|pi|cdot|times)\b|\d|√|π|\.\d)"
    r"(?:\\(?:[dt]?frac|sqrt|pi|cdot|times)\b|[\d.,+\-−*/{}()√π×·]|\s(?=[\d+\-−*/×·\\√({]))*"
)
_WORD_NUMBER = re.compile(
    r"\b(?:one[\s-]+(?:third|quarter|fourth|fifth|half)|two[\s-]+thirds|three[\s-]+quarters|"
    r"no|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
    r"seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|half)"
    r"(?:[\s-]+(?:and[\s-]+)?(?:one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|forty|fifty|sixty|"
    r"seventy|eighty|ninety|hundred))*\b",
    re.IGNORECASE,
)
_FRACTION_WORDS = {"half": 0.5, "one third": 1 / 3, "one-third": 1 / 3, "one quarter": 0.25, "one-quarter": 0.25,
                   "one fourth": 0.25, "one-fourth": 0.25, "one fifth": 0.2, "one-fifth": 0.2, "one half": 0.5,
                   "one-half": 0.5, "two thirds": 2 / 3, "two-thirds": 2 / 3, "three quarters": 0.75,
                   "three-quarters": 0.75}
_NO_COUNT = re.compile(r"\bno\s+(?:other\s+)?(?:[a-z]+\s+){0,3}?(?:are|is|were|missing|left|remain\w*|objects?|items?|"
                       r"bricks?|people|persons?|one|ones|such)\b|(?<=\bthere\sare\s)no\b|(?<=\bthere\sis\s)no\b|(?<=\bthere\swere\s)no\b",
                       re.IGNORECASE)


def _span_value(token: str) -> float | None:
    t = token.strip().rstrip(".,")
    low = t.lower()
    if low in _FRACTION_WORDS:
        return _FRACTION_WORDS[low]
    if low == "no":
        return 0.0
    if re.fullmatch(r"[a-z\s-]+", low):
        return answers._words_to_number(low)
    value = expression_value(t)
    if value is not None:
        return value
    return answers.parse_number(t)


def _number_candidates(clean: str) -> list[tuple[int, int, str]]:
    spans = [(m.start(), m.end(), m.group(0)) for m in _MATH_SPAN.finditer(clean) if re.search(r"\d", m.group(0))]
    for m in _WORD_NUMBER.finditer(clean):
        word = m.group(0).lower()
        if word == "no":
            continue
        if word == "one" and re.match(r"\s*(?:of|another|side|by|more|on|in|that|which|who|'s)\b", clean[m.end():]):
            continue
        spans.append((m.start(), m.end(), m.group(0)))
    if any(re.search(r"\d", t) for _, _, t in spans):
        # a sentence that states digits gives its value in digits; "two adjacent trees" is no value
        return sorted(sp for sp in spans if re.search(r"\d", sp[2]))
    for m in _NO_COUNT.finditer(clean):
        spans.append((m.start(), m.start() + 2, "no"))
    for m in re.finditer(r"\bnone\s+of\b", clean, re.IGNORECASE):
        spans.append((m.start(), m.start() + 4, "no"))
    return sorted(spans)


def conclude_number(text: str | None) -> Conclusion:
    pos, c = _number_conclusion(text)
    return c


def _number_conclusion(text: str | None) -> tuple[int, Conclusion]:
    """(offset of the evidence sentence, conclusion) of the last concluded number."""
    if not text or not text.strip() or looping(text):
        return -1, NOTHING
    sentences = _sentences(text)
    last = len(sentences) - 1
    for k in range(last, -1, -1):
        offset, sentence = sentences[k]
        boxed = list(_BOXED.finditer(sentence))
        for m in reversed(boxed):
            v = expression_value(m.group(1))
            if v is None:
                v = answers.parse_number(m.group(1))
            if v is not None:
                return offset, Conclusion(v, sentence.strip()[:300], 0.95, "boxed")
        if _HYPOTHESIS.match(sentence):
            continue
        clean = _LATEX_NOISE.sub(" ", sentence)
        clean = re.sub(r"\\text\s*\{[^{}]*\}|\\mathrm\s*\{[^{}]*\}|\^\s*\{?\d+\}?", " ", clean)
        candidates = _number_candidates(clean)
        if not candidates or not (_NUM_CUE.search(clean) or k == last):
            continue
        anchors = [m for m in _NUM_ANCHOR.finditer(clean)]
        strong = [m for m in anchors if _STRONG_ANCHOR.fullmatch(m.group(0).strip())]
        chosen = None
        if strong:
            # the predicate of the concluding clause: the last "is"/"=" after "therefore" and before a
            # subordinate clause ("therefore, the number of triangles on the 18 points is 816";
            # "... is moving at 24/7 ft/s when the bottom is 7 ft away" keeps 24/7)
            sub = _SUBORDINATE.search(clean, strong[-1].end())
            limit = sub.start() if sub else len(clean)
            copulas = [a for a in anchors if strong[-1].end() <= a.start() < limit and _COPULA.fullmatch(a.group(0))]
            for anchor in copulas[::-1]:
                after = [c for c in candidates if anchor.end() <= c[0] < limit]
                if after:
                    chosen = after[0]
                    break
        for anchor in ([] if chosen else (strong[-1:] if strong else []) + anchors[::-1]):
            after = [c for c in candidates if c[0] >= anchor.end()]
            if after:
                chosen = after[0]
                break
        if chosen is None:
            chosen = candidates[-1]
        start, end, token = chosen
        # "3 or 4", "between 3 and 5", "3-4": a range is a hedge
        if re.match(r"\s*(?:or|to|–|and)\s*[-−]?\d", clean[end:]) or re.search(r"\b(?:between|from)\s+$", clean[:start]):
            return offset, Conclusion(UNKNOWN, sentence.strip()[:300], 0.6, "hedge")
        v = _span_value(token)
        if v is None:
            continue
        return offset, Conclusion(v, sentence.strip()[:300], 0.85 if _NUM_CUE.search(clean) else 0.7, "number")
    return -1, NOTHING


# ------------------------------------------------------------------ open-ended

_OPEN_CUE = re.compile(
    r"(?:the\s+(?:final\s+)?answer\s+(?:is|should\s+be|would\s+be)|answer\s*:|so\s+(?:it's|it\s+is|the\s+answer\s+is)|"
    r"therefore(?:,)?\s+(?:it's|it\s+is|the\s+answer\s+is)|we\s+conclude\s+that|written\s+as|given\s+by|is\s+equal\s+to|"
    r"(?:the\s+)?(?:function|equation|value|result|expression)\s+is)\s*:?\s*",
    re.IGNORECASE,
)
_BOXED = re.compile(r"\\boxed\s*\{((?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*)\}")
_BOUNDARY = re.compile(r"(?<!\d)[.!?。！？;\n](?!\d)|\.(?=\s|$)")


def conclude_text(text: str | None) -> Conclusion:
    """Open-ended: the latest of a \\boxed{} value, a cued span ("the answer is ...", "written as:
    y = x^3 - 6": the part after the last "="), and a concluded number."""
    if not text or not text.strip() or looping(text):
        return NOTHING
    found: list[tuple[int, Conclusion]] = []
    boxed = list(_BOXED.finditer(text))
    if boxed:
        value = boxed[-1].group(1).strip()
        num = expression_value(value)
        found.append((boxed[-1].start(), Conclusion(num if num is not None else value, boxed[-1].group(0)[:300], 0.95, "boxed")))
    cued = list(_OPEN_CUE.finditer(text))
    if cued:
        rest = _LATEX_NOISE.sub(" ", text[cued[-1].end():])
        stop = _BOUNDARY.search(rest)
        value = (rest[: stop.start()] if stop else rest).strip()
        value = value.rsplit("=", 1)[-1].strip(" \t\"'*“”")
        if re.search(r"[^\W_]", value):  # "the final answer is \\( \\" (cut off) states nothing
            num = expression_value(value)
            found.append((cued[-1].start(), Conclusion(num if num is not None else value[:200], value[:300], 0.8, "text")))
    pos, number = _number_conclusion(text)
    if number.found or number.how == "hedge":
        found.append((pos, number))
    if not found:
        return NOTHING
    return max(found, key=lambda x: x[0])[1]


# ------------------------------------------------------------------ public API

def conclude(think: str | None, options: list[str] | None = None, kind: str = "mc",
             question: str | None = None) -> Conclusion:
    """The last explicit conclusion of a reasoning text (see the module docstring)."""
    try:
        if kind == "numeric":
            return conclude_number(think)
        if kind == "open":
            return conclude_text(think)
        return conclude_letter(think, options, question)
    except Exception:  # noqa: BLE001 - the contract is "never raise"
        return NOTHING


def think_conclusion(think: str | None, options: list[str] | None = None, kind: str = "mc",
                     question: str | None = None) -> Any:
    """The value of `conclude`: letter, number, short text, or UNKNOWN."""
    return conclude(think, options, kind, question).value


_MARKED_FINAL = re.compile(
    r"(?:\\boxed\s*\{((?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*)\}|(?:final\s+answer|the\s+answer\s+is|answer)\s*[:：]\s*([^\n]+)|"
    r"\b(?:the|my)\s+(?:final\s+|correct\s+)?answer\s+is\s*:?\s*([^\n]{1,60}?)\s*[.!]?\s*$)",
    re.IGNORECASE,
)


def answer_text(response: str | None) -> str | None:
    """The final answer's text for TAC: the last `<answer>` block (an unclosed one: to the end);
    with none, the last clearly marked final answer, or an output that is only a short answer;
    else None."""
    text = _FENCE.sub("", response or "")
    if not text.strip():
        return None
    blocks = [m.group(1) for m in _ANSWER_BLOCK.finditer(text)]
    blocks = [b for b in blocks if b.strip()]
    if blocks:
        return _ANY_TAG.sub(" ", blocks[-1]).strip()
    if _ANSWER_OPEN.search(text):
        return None
    closes = list(_THINK_CLOSE.finditer(text))
    if closes and _THINK_OPEN.search(text) and not text[closes[-1].end():].strip():
        return None  # the output ends with its reasoning: a \boxed{} inside it is the reasoning's, not an answer
    rest = _ANY_TAG.sub(" ", text).strip()
    # a marked final answer counts where the output ends with it; followed by more reasoning
    # ("the answer is B. But wait, let me double-check the part where"), the output was cut off
    closing = _sentences(rest)[-1][1] if rest else ""
    marked = list(_MARKED_FINAL.finditer(closing))
    if marked:
        m = marked[-1]
        return next(g for g in m.groups() if g is not None).strip()
    if reasoning_text(text) and _THINK_OPEN.search(text) and not _THINK_CLOSE.search(text):
        return None  # cut off inside the reasoning
    body = text[_THINK_CLOSE.search(text).end():].strip() if _THINK_CLOSE.search(text) else rest
    return body if 0 < len(body) <= 40 else None


def answer_prediction(response: str | None, options: list[str] | None = None, kind: str = "mc") -> Any:
    """What the final answer states (see `answer_text`), read as a letter / number / text; UNKNOWN
    when the output gives no answer."""
    try:
        text = answer_text(response)
        if text is None:
            return UNKNOWN
        value = _read_answer(text, options, kind)
        return UNKNOWN if value is None else value
    except Exception:  # noqa: BLE001
        return UNKNOWN


def _read_answer(text: str, options: list[str] | None, kind: str):
    inner = _BOXED.search(text)
    if inner:
        text = inner.group(1)
    if kind in ("numeric", "open"):
        text = _LATEX_NOISE.sub(" ", text).strip()  # "\\(\\pi\\)" is π
    if kind == "numeric":
        value = expression_value(text)
        return value if value is not None else answers.parse_number(text)
    if kind == "open":
        value = expression_value(text)
        return value if value is not None else (text.strip() if re.search(r"[^\W_]", text) else None)
    letter = answers.option_letter(text, options=options or None, n_options=len(options) if options else None)
    if letter is None and options:
        # an answer that states an option's value: "7.0" for "7.0 cm/s", "5" for "<image 5>"
        opts = _Options(options)
        value = expression_value(text)
        if value is not None and opts.images:
            letter = opts.images.get(str(int(value))) if float(value).is_integer() else None
        elif value is not None:
            hits = [i for i, o in enumerate(options) if _same_number_option(o, value)]
            letter = answers.LETTERS[hits[0]] if len(hits) == 1 else None
    return letter


def _same_number_option(option: str, value: float) -> bool:
    """Whether an option states `value` and nothing else that changes it: "7.0 cm/s" and
    "48.0/25.4=1.89" state 7 and 1.89; "$2 \\pi$" or "2√3" do not state 2."""
    body = answers.strip_option_prefix(option or "")
    if "=" in body:
        body = body.rsplit("=", 1)[1]
    nums = _option_numbers(body)
    if len(nums) != 1 or not _same_number(nums[0], value):
        return False
    body = re.sub(r"\^\s*\{?\s*\\circ\s*\}?|[a-zA-Z}]+\s*\^\s*\{?\d\}?", " ", body)  # 72^{\\circ}, m^3, cm/s stay units
    return not re.search(r"\\pi|π|√|\\sqrt|\\frac|\d\s*/\s*\d|\d\s*\^", body)


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
