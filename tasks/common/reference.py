"""The reference scoring: how the Video-R2 evaluation fork reads and scores one answer, per benchmark.

The paper's accuracy numbers come from the fork's lmms-eval tasks (mbzuai-oryx/Video-R2 @ 5c66350,
`eval/lmms-eval/lmms_eval/tasks/<bench>_think/utils.py`) and, for VSI-Bench, the post-processing
script its README requires (`eval/scripts/post_processing/post_process_vsibench_predictions.py`).
This module reproduces their behaviour, quirks included, so that `videor2_acc` is comparable to the
paper; the project's own parser (`answers`, "robust") is scored beside it (docs/BENCHMARKS.md).

What the reference does that the robust parser does not:
- the answer is the FIRST `<answer>...</answer>` block (case-sensitive tags); without a closed block
  the whole output, reasoning included, is parsed;
- letters are read per benchmark: the first capital of a letter set anywhere in the text (so
  "Answer: C" reads as A), a leading letter, MVBench's case-insensitive standalone letter (the
  article "a" is option A), VSI-Bench's first token, the MMMU parser for Video-MMMU;
- LongVideoBench and SciVideoBench draw a random letter when they find none. That one draw is the
  only thing not reproduced: such a sample scores the draw's expected value (1/n) and is flagged
  `fallback`;
- MVBench and Video-MMMU drop empty answers from the denominator (`ReferenceResult.score` None).

Each rule below names the reference lines it follows.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class ReferenceResult:
    pred: Any                      # what the reference predicts (a letter, "", the left-over text, a number, ...)
    score: float | None            # 0..1; None: the reference leaves the sample out of its denominator
    flags: tuple[str, ...] = field(default=())  # "untagged", "non_letter", "fallback", "excluded"


def first_answer_block(raw: str) -> tuple[str, bool]:
    """(answer text, tagged): `lmms_eval/utils.py` L1021-1026 `extract_answer`. The first
    `<answer>(.*?)</answer>` (case-sensitive, across lines), stripped; else the raw output unchanged."""
    m = re.search(r"<answer>(.*?)</answer>", raw, re.DOTALL)
    return (m.group(1).strip(), True) if m else (raw, False)


# ---------------------------------------------------------------- letter rules shared by several tasks

# The prefix lists as the tasks hold them. Two commas are missing in videomme_think L238-239,
# videomathqa_think L208-209, minverva L182-183 and mmvu_think L232-233, so Python joins the strings:
# "The best option is", "The correct option is", "Best answer:" and "Best option:" are never removed.
PREFIXES_JOINED = ("The best answer is", "The correct answer is", "The answer is", "The answer",
                   "The best option isThe correct option is", "Best answer:Best option:")
PREFIXES = ("The best answer is", "The correct answer is", "The answer is", "The answer",
            "The best option is", "The correct option is", "Best answer:", "Best option:")
SCIVIDEOBENCH_PREFIXES = ("The answer is", "The correct answer is", "The best answer is", "Answer:", "Option:",
                          "### Final Answer:\n$$\\boxed", "the final answer is")


def first_capital(text: str, prefixes: tuple[str, ...], letters: str, guard: str | None = None,
                  max_words: int = 10) -> str:
    """The first capital of `letters` anywhere after removing every occurrence of each prefix;
    "" when none (or when the text has more than `max_words` words and no capital of `guard`).
    videomme_think L231-250 (A-D), videomathqa_think L201-220 / minverva L175-194 / mmvu_think
    L225-244 / longvideobench_think L210-230 (A-E), scivideobench_think L116-136 (A-J guard, 16
    words, A-L match)."""
    s = text.strip()
    for p in prefixes:
        s = s.replace(p, "")
    guard = guard or letters
    if len(s.split()) > max_words and not re.search(f"[{guard}]", s):
        return ""
    m = re.search(f"[{letters}]", s)
    return m.group(0) if m else ""


def leading_letter(text: str) -> str:
    """tempcompass_complete L49-85 = mlvu_think L75-111 `extract_characters_regex`: a prefix removed
    at the start only, then a capital A-E at the very start, else a standalone capital A-E in a text
    of at most 10 words, else the letter before the first ")"; otherwise the text itself."""
    s = text.strip()
    for p in PREFIXES:
        if s.startswith(p):
            s = s[len(p):].strip()
    if m := re.match(r"^\(?([A-E])\)?[:.]?", s):
        return m.group(1)
    if len(s.split()) <= 10 and (m := re.search(r"\b([A-E])\b", s)):
        return m.group(1)
    if ")" in s:
        i = s.index(")")
        if i > 0 and s[i - 1].upper() in "ABCDE":
            return s[i - 1].upper()
    return s


_MV_PUNCT = [";", r"/", "[", "]", '"', "{", "}", "(", ")", "=", "+", "\\", "_", "-", ">", "<", "@", "`", ",", "?", "!"]


def mvbench_normalise(answer: str) -> str:
    """mvbench_think L106-145 `mcq_acc.process`: "X. text" gives X; otherwise punctuation handled as
    VQA does, lower-cased, and the first standalone a-e (case-insensitive: the article "a" too)."""
    if m := re.match(r"^([A-E])\.\s*(.+)$", answer.strip(), re.IGNORECASE):
        return m.group(1).upper()
    a = answer.replace("\n", " ").replace("\t", " ").strip()
    out = a
    for p in _MV_PUNCT:  # L111-117: deleted where spaced or the text has "1,000"-style numbers, else a space
        if (p + " " in a or " " + p in a) or re.search(r"(\d)(,)(\d)", a) is not None:
            out = out.replace(p, "")
        else:
            out = out.replace(p, " ")
    # L107 + L118: the look-behind is mistyped as "(?!<=\d)", and re.UNICODE lands in `count` (32)
    out = re.sub(r"(?!<=\d)(\.)(?!\d)", "", out, count=re.UNICODE)
    out = out.strip("'").strip('"').strip(")").strip("(").strip().lower()
    if m := re.search(r"\b([A-E])\b", out, re.IGNORECASE):
        return m.group(1).upper()
    return out


# ---------------------------------------------------------------- VSI-Bench

VSI_MC_TYPES = ("object_rel_direction_easy", "object_rel_direction_medium", "object_rel_direction_hard",
                "object_rel_distance", "route_planning", "obj_appearance_order")
VSI_NUMERIC_TYPES = ("object_abs_distance", "object_counting", "object_size_estimation", "room_size_estimation")
# post_process_vsibench_predictions.py L97-111: int((0.95 - 0.5) / 0.05) + 1 = 9 thresholds;
# vsibench_think/utils.py L93-97: int((0.95 - 0.5) / 0.05 + 2) = 10 (the standard ones)
VSI_POST_THRESHOLDS = np.linspace(0.5, 0.95, int((0.95 - 0.5) / 0.05) + 1)
VSI_TASK_THRESHOLDS = np.linspace(0.5, 0.95, int((0.95 - 0.5) / 0.05 + 2))


def vsi_option_letter(text: str, options: list[str]) -> str | None:
    """post_process_vsibench_predictions.py L57-94 `extract_option_letter`: a leading A-D, else a
    one-character answer, else the first option (list order) whose body is in the text, else the
    same on text with non-word characters removed. `options` as the dataset stores them ("A. sofa")."""
    if not text:
        return None
    t = text.strip()
    if m := re.match(r"^\s*([A-Da-d])(\b|[\.\):\-\s])", t):
        return m.group(1).upper()
    if len(t) == 1 and t.upper() in "ABCD":
        return t.upper()
    bodies = {}
    for opt in options or []:
        if m := re.match(r"^\s*([A-Da-d])\s*[\.\):-]\s*(.*)$", (opt or "").strip()):
            bodies[m.group(1).upper()] = m.group(2).strip()
    low = t.lower()
    for letter, body in bodies.items():
        if body and body.lower() in low:
            return letter

    def norm(s):
        return re.sub(r"[\W_]+", "", s.lower())

    for letter, body in bodies.items():
        if body and norm(body) and norm(body) in norm(low):
            return letter
    return None


def _finite_float(x) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def vsi_post_number(text: str) -> float | None:
    """The post-processing script's number: its LLM conversion (L351-368) is replaced by the script's
    own fallback (L124-129), the first "[-+]?\\d+(?:\\.\\d+)?" in the text (a deviation: an LLM would also
    read "three"; docs/BENCHMARKS.md)."""
    m = re.search(r"[-+]?\d+(?:\.\d+)?", text or "")
    return _finite_float(m.group(0)) if m else None


def vsi_post_mra(pred: float | None, gt: float | None) -> float:
    """post_process_vsibench_predictions.py L97-111: 9 thresholds, relative to |gt|, 0 when undefined."""
    if pred is None or gt is None or not math.isfinite(pred) or not math.isfinite(gt) or gt == 0:
        return 0.0
    return float((abs(pred - gt) / abs(gt) <= 1.0 - VSI_POST_THRESHOLDS).mean())


def vsi_task_score(text: str, gt, kind: str) -> float:
    """vsibench_think/utils.py L81-128, the lmms-eval task's own rule: the first space-separated token
    (trailing "." removed) equals the letter, case-insensitively; numbers: float of that token, MRA
    with the 10 standard thresholds (<=), 0 when not a number. (A zero ground truth, which would
    raise at L90, scores 0.)"""
    token = text.split(" ")[0].rstrip(".").strip()
    if kind == "mc":
        return 1.0 if token.lower() == str(gt).lower() else 0.0
    pred, target = _finite_float_or_nan(token), _finite_float_or_nan(gt)
    if pred is None or target is None or target == 0:
        return 0.0
    return float((abs(pred - target) / target <= 1 - VSI_TASK_THRESHOLDS).mean())


def _finite_float_or_nan(x) -> float | None:
    try:
        return float(x)  # nan/inf compare False everywhere: 0, as in the reference
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------- Video-MMMU (the MMMU parsers)

def mmmu_multi_choice(response: str, options: list[str]) -> str:
    """video_mmmu_think/utils.py L341-424 `parse_multi_choice_response` with index2ans built from the
    options as the dataset stores them (L572-585). No random choice: "No Answer Found." when nothing
    matches; "API Error" for an empty answer (left out of the denominator, L185)."""
    if response in ("API Error", ""):
        return "API Error"
    choices = [LETTERS[i] for i in range(len(options))]
    index2ans = dict(zip(choices, options))
    for ch in [",", ".", "!", "?", ";", ":", "'"]:
        response = response.strip(ch)
    response = " " + response + " "
    index_ans, with_brack, with_period, with_colon = True, False, False, False
    candidates = []
    for c in choices:
        if f"{c}." in response:
            candidates.append(c)
            with_period = True
    for c in choices:
        if f"{c}:" in response:
            candidates.append(c)
            with_colon = True
    if not candidates:
        for c in choices:
            if f"({c})" in response:
                candidates.append(c)
                with_brack = True
    if not candidates:
        for c in choices:
            if f"{c} " in response:
                candidates.append(c)
    if not candidates and len(response.split()) > 5:
        for c, ans in index2ans.items():
            if ans.lower() in response.lower():
                candidates.append(c)
                index_ans = False
    if not candidates:
        return "No Answer Found."
    if len(candidates) == 1:
        return candidates[0]
    if not index_ans:
        where = [response.lower().rfind(index2ans[c].lower()) for c in candidates]
    elif with_period:
        where = [response.rfind(f"{c}.") for c in candidates]
    elif with_colon:
        where = [response.rfind(f"{c}:") for c in candidates]
    elif with_brack:
        where = [response.rfind(f"({c})") for c in candidates]
    else:
        where = [response.rfind(f" {c} ") for c in candidates]
    return candidates[int(np.argmax(where))]


def _mmmu_numbers(s: str) -> list[str]:
    """L428-445 `extract_numbers`: comma-grouped, scientific, then simple numbers."""
    return (re.findall(r"-?\b\d{1,3}(?:,\d{3})+\b", s) + re.findall(r"-?\d+(?:\.\d+)?[eE][+-]?\d+", s)
            + re.findall(r"-?(?:\d+\.\d+|\.\d+|\d+\b)(?![eE][+-]?\d+)(?![,\d])", s))


def _mmmu_normalise(s: str) -> list:
    """L449-477 `check_is_number` + `normalize_str`: a number rounded to 2 decimals, else lower text
    (one character padded with a space on either side)."""
    s = s.strip()
    try:
        return [round(float(s.replace(",", "")), 2)]
    except ValueError:
        s = s.lower()
        return [" " + s, s + " "] if len(s) == 1 else [s]


_MMMU_KEYS = ["could be ", "so ", "is ", "thus ", "therefore ", "final ", "answer ", "result ", "are ", "in total ",
              "total ", "identify ", "recognize ", "calculated as ", "counted as ", "measured as ", "observed as ",
              "concluded as ", "found to be ", "equals ", "determined to be ", "number of ", "value is ",
              "adds up to ", "have ", "has "]


def mmmu_open(response: str):
    """L480-569 `parse_open_response`: the tail after the last key phrase of each line (lower-cased
    first, so the sentence split never fires), plus every number in them, normalised; "API Error"
    for an empty answer."""
    if response in ("API Error", ""):
        return "API Error"
    text = response.strip().strip(".").lower()
    parts = re.split(r"\.\s(?=[A-Z])|\n", text)
    keys_found = []
    for i, part in enumerate(parts):
        keys = _MMMU_KEYS + (["="] if i == len(parts) - 1 else [])
        shortest = None
        for k in keys:
            if k in part:
                tail = part.split(k)[-1].strip()
                if not shortest or len(tail) < len(shortest):
                    shortest = tail
        if shortest and shortest.strip() not in (":", ",", ".", "!", "?", ";", "'"):
            keys_found.append(shortest)
    if not keys_found:
        keys_found = [text]
    preds = list(keys_found)
    for k in keys_found:
        preds.extend(_mmmu_numbers(k))
    out = []
    for p in preds:
        for v in _mmmu_normalise(p):
            if v not in out:
                out.append(v)
    return out


def mmmu_open_correct(gold: str, preds) -> bool:
    """L291-313 `eval_open`: a gold string inside a predicted string, or a predicted number equal to
    the gold number (both to 2 decimals)."""
    golds = _mmmu_normalise(str(gold))
    for p in preds:
        if isinstance(p, str):
            if any(isinstance(g, str) and g in p for g in golds):
                return True
        elif p in golds:
            return True
    return False


# ---------------------------------------------------------------- per-benchmark rules

def _letter_flags(text: str, tagged: bool, kind: str) -> tuple[str, ...]:
    flags = [] if tagged else ["untagged"]
    if kind == "mc" and not re.fullmatch(r"[\s(\[]*[A-Z][\s)\].:]*", text or ""):
        flags.append("non_letter")
    return tuple(flags)


def _letter_score(pred, key) -> float:
    return 1.0 if pred == str(key.gt) else 0.0


def videomme(raw: str, key) -> ReferenceResult:
    text, tagged = first_answer_block(raw)
    pred = first_capital(text, PREFIXES_JOINED, "ABCD")                      # videomme_think L231-250
    return ReferenceResult(pred, _letter_score(pred, key), _letter_flags(text, tagged, key.kind))  # L306


def leading_letter_rule(raw: str, key) -> ReferenceResult:
    """TempCompass (tempcompass_complete L96-115) and MLVU dev (mlvu_think L122-147)."""
    text, tagged = first_answer_block(raw)
    pred = leading_letter(text)
    return ReferenceResult(pred, _letter_score(pred, key), _letter_flags(text, tagged, key.kind))


def _gold_text(key) -> str | None:
    """The gold option's text (None when the letter names no option)."""
    gt = str(key.gt)
    return key.options[LETTERS.index(gt)] if len(gt) == 1 and gt in LETTERS[:len(key.options)] else None


def mvbench(raw: str, key) -> ReferenceResult:
    """mvbench_think L158-200: the gold letter is the FIRST candidate equal to the answer text
    (L171-176; a gold naming no candidate raises at L148: scored 0 here); both sides go through
    `mcq_acc.process`; an empty answer text is left out of its subtask's denominator (L196)."""
    text, tagged = first_answer_block(raw)
    pred = mvbench_normalise(text)
    flags = _letter_flags(text, tagged, key.kind)
    gold = _gold_text(key)
    if gold is None:
        return ReferenceResult(pred, 0.0, flags)
    if text == "":
        return ReferenceResult(pred, None, flags + ("excluded",))
    gold_letter = LETTERS[key.options.index(gold)]
    return ReferenceResult(pred, 1.0 if pred == mvbench_normalise(gold_letter) else 0.0, flags)


def first_capital_rule(prefixes: tuple[str, ...]) -> Callable:
    """VideoMathQA (videomathqa_think L230-245) and MINERVA (minverva L204-219): first capital A-E,
    no fallback ("" is wrong)."""

    def rule(raw: str, key) -> ReferenceResult:
        text, tagged = first_answer_block(raw)
        pred = first_capital(text, prefixes, "ABCDE")
        return ReferenceResult(pred, _letter_score(pred, key), _letter_flags(text, tagged, key.kind))

    return rule


def longvideobench(raw: str, key) -> ReferenceResult:
    """longvideobench_think L204-230, L280-293: first capital A-E; none found: a random letter among
    the item's choices (L225, L229), scored here by its expected value."""
    text, tagged = first_answer_block(raw)
    flags = _letter_flags(text, tagged, key.kind)
    pred = first_capital(text, PREFIXES, "ABCDE")
    if pred:
        return ReferenceResult(pred, _letter_score(pred, key), flags)
    choices = LETTERS[:min(len(key.options), 5)]  # option0..option4 up to the first "N/A" (L284-289)
    if not choices:
        return ReferenceResult("<random>", 0.0, flags + ("fallback",))
    return ReferenceResult("<random>", (1.0 / len(choices)) if str(key.gt) in choices else 0.0, flags + ("fallback",))


def scivideobench(raw: str, key) -> ReferenceResult:
    """scivideobench_think L111-146: first capital A-L (a text over 16 words needs one of A-J); none
    found: a random letter among A-J whatever the option count (L142-143), scored by its expected value."""
    text, tagged = first_answer_block(raw)
    flags = _letter_flags(text, tagged, key.kind)
    pred = first_capital(text, SCIVIDEOBENCH_PREFIXES, "ABCDEFGHIJKL", guard="ABCDEFGHIJ", max_words=16)
    if pred:
        return ReferenceResult(pred, 1.0 if pred == str(key.gt).strip() else 0.0, flags)
    return ReferenceResult("<random>", 0.1 if str(key.gt).strip() in "ABCDEFGHIJ" and len(str(key.gt).strip()) == 1
                           else 0.0, flags + ("fallback",))


def mmvu(raw: str, key) -> ReferenceResult:
    """mmvu_think L247-266: correct when the answer text equals the gold option's text; else the first
    capital A-E (joined-prefix list). Open-ended items cannot be scored by the reference (L260 looks
    their answer up among the choices and raises): left out, flagged `excluded`."""
    text, tagged = first_answer_block(raw)
    flags = _letter_flags(text, tagged, key.kind)
    if key.kind != "mc":
        return ReferenceResult(text, None, flags + ("excluded",))
    gold_text = _gold_text(key)
    if gold_text is None:  # the gold letter is no choice: L260 raises; scored 0
        return ReferenceResult(text, 0.0, flags)
    if gold_text.strip() == text.strip():
        return ReferenceResult(text, 1.0, flags)
    pred = first_capital(text, PREFIXES_JOINED, "ABCDE")
    return ReferenceResult(pred, _letter_score(pred, key), flags)


def videommmu(raw: str, key) -> ReferenceResult:
    """video_mmmu_think L154-165, L317-338: the MMMU multiple-choice parser or the open-ended parser;
    "API Error" (an empty answer) is left out of the track's denominator (L185)."""
    text, tagged = first_answer_block(raw)
    flags = _letter_flags(text, tagged, key.kind)
    if key.kind == "mc":
        pred = mmmu_multi_choice(text, list(key.raw_options or key.options))
        score = 1.0 if pred == str(key.gt) else 0.0
    else:
        pred = mmmu_open(text)
        score = 1.0 if pred != "API Error" and mmmu_open_correct(str(key.gt), pred) else 0.0
    if pred == "API Error":
        return ReferenceResult(pred, None, flags + ("excluded",))
    return ReferenceResult(pred, score, flags)


def vsibench(raw: str, key) -> ReferenceResult:
    """The README's VSI-Bench path (post_process_vsibench_predictions.py L380-430) on the task's logged
    prediction (the first answer block): option letter via `vsi_option_letter`; numbers via the
    script's regex with its 9-threshold MRA. The task's own first-token score rides along in `pred`
    (`task_score`) for the lmms-eval overall."""
    text, tagged = first_answer_block(raw)
    flags = _letter_flags(text, tagged, key.kind)
    task = vsi_task_score(text, key.gt, key.kind)
    if key.kind == "mc":
        m = re.match(r"^\s*([A-Da-d])\b", str(key.gt) or "")  # L393-394
        gt_letter = m.group(1).upper() if m else None
        letter = vsi_option_letter(str(text), list(key.raw_options or key.options))
        score = 1.0 if letter and letter == gt_letter else 0.0
        return ReferenceResult({"letter": letter, "task_score": task}, score, flags)
    value = vsi_post_number(text)
    return ReferenceResult({"value": value, "task_score": task}, vsi_post_mra(value, _finite_float(key.gt)), flags)


# ---------------------------------------------------------------- aggregation (percent)

def kept(items: list[dict]) -> list[dict]:
    """The items the reference counts (a None reference score is out of its denominator)."""
    return [i for i in items if i.get("ref_score") is not None]


def micro(items: list[dict]) -> float:
    """Percent over the counted items (videomme_think L344-350, tempcompass L115-118, longvideobench
    L319-325 (a fraction there), videomathqa L289-297, minverva L263-271, scivideobench L196, mmvu L329-330)."""
    k = kept(items)
    return 100.0 * sum(i["ref_score"] for i in k) / len(k) if k else 0.0


def per_category(items: list[dict]) -> dict[str, float]:
    groups: dict[str, list[float]] = {}
    for i in kept(items):
        groups.setdefault(i.get("category") or "all", []).append(i["ref_score"])
    return {c: 100.0 * sum(v) / len(v) for c, v in groups.items()}


def fixed_macro(categories: tuple[str, ...]) -> Callable:
    """Mean over a FIXED list of categories, 0 for one without items (mlvu_think L132-171: always / 7)."""

    def aggregate(items: list[dict]) -> float:
        acc = per_category(items)
        return sum(acc.get(c, 0.0) for c in categories) / len(categories)

    return aggregate


def present_macro(items: list[dict]) -> float:
    """Mean over the categories present of their accuracy over counted items: MVBench (per subtask,
    L186-200; the group has no aggregate in the code, the paper's single number is taken as the mean
    of the subtasks) and Video-MMMU (per track, L180-219; how the tracks combine is not in the code:
    their mean). The VSI-Bench post-processing Overall is this over its 10 question types (L490-521)."""
    acc = per_category(items)
    return sum(acc.values()) / len(acc) if acc else 0.0


def vsi_task_overall(items: list[dict]) -> float | None:
    """vsibench_think/utils.py L131-165, the lmms-eval task's overall: per-type means of the task's own
    score, the three relative-direction types averaged into one, then the mean of those 8 entries."""
    by_type: dict[str, list[float]] = {}
    for i in items:
        pred = i.get("ref_pred")
        if isinstance(pred, dict) and "task_score" in pred:
            by_type.setdefault(i.get("category") or "all", []).append(float(pred["task_score"]))
    if not by_type:
        return None
    means = {t: 100.0 * sum(v) / len(v) for t, v in by_type.items()}
    direction = [means.pop(t) for t in VSI_MC_TYPES[:3] if t in means]
    entries = list(means.values()) + ([sum(direction) / len(direction)] if direction else [])
    return sum(entries) / len(entries)
