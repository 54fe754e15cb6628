"""Reference scoring rules of the Video-R2 authors' evaluation code, transcribed as a test oracle.

Source: GitHub mbzuai-oryx/Video-R2, commit 5c66350e5e6ca594e2aa4982f3fe6390e83e417d, folder eval/.
Every path in the comments below is relative to the repository root, and every
"Lxx-yy" is a line range in that file at that commit. The code here reproduces the
reference behaviour, quirks included; it is written independently and imports
nothing from the `videor2` package (standard library and numpy only).

Contract of every ``score_<benchmark>(raw, options, gt, kind) -> (pred, score)``:
  raw     the model's full output string;
  options the option TEXTS in order without letter prefixes (letters A, B, C... implied),
          may be None / empty;
  gt      the ground truth (uppercase letter for "mc", number for "numeric", string for "open");
  kind    "mc" | "numeric" | "open".
  pred    the prediction the reference compares with the ground truth;
  score   the per-sample score in [0, 1]; None when the reference removes the sample from the
          denominator. Random fallbacks (LongVideoBench, SciVideoBench) are replaced by their
          EXPECTED score, with pred = "<random>". Where the reference would raise, the sample
          scores (pred, 0.0) and the comment names the raising line.

Per-sample scoring in the reference does not depend on `kind` for the letter benchmarks (they
are multiple-choice datasets). The same rule is applied whatever `kind` says.
"""

import math
import re

import numpy as np

__all__ = [
    "extract_answer",
    "score_videomme",
    "score_tempcompass",
    "score_mlvu",
    "score_mvbench",
    "score_longvideobench",
    "score_videomathqa",
    "score_minerva",
    "score_scivideobench",
    "score_mmvu",
    "score_videommmu",
    "score_vsibench_lmms",
    "score_vsibench_post",
    "RULES",
    "aggregate_micro",
    "aggregate_mlvu",
    "aggregate_mvbench",
    "aggregate_vsibench_lmms",
    "aggregate_vsibench_post",
    "aggregate_videommmu",
]

RANDOM = "<random>"
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _opts(options):
    return list(options) if options else []


# ---------------------------------------------------------------------------------------------
# Shared: answer text
# ---------------------------------------------------------------------------------------------
def extract_answer(raw: str) -> str:
    # eval/lmms-eval/lmms_eval/utils.py L1021-1026
    # FIRST complete <answer>...</answer> pair (re.search, non-greedy, DOTALL), tags are
    # case-SENSITIVE; the content is .strip()ped. Without a closed pair the WHOLE raw text is
    # returned unchanged (not stripped, <think> included).
    match = re.search(r"<answer>(.*?)</answer>", raw, re.DOTALL)
    if match:
        return match.group(1).strip()
    return raw


def _hit(pred, gt):
    return 1.0 if pred == gt else 0.0


# ---------------------------------------------------------------------------------------------
# "First capital letter anywhere" family: VideoMME (A-D), VideoMathQA / MINERVA / MMVU (A-E).
# The prefix lists of these four files miss two commas, so Python concatenates the strings:
# "The best option is" "The correct option is" -> "The best option isThe correct option is"
# "Best answer:" "Best option:"               -> "Best answer:Best option:"
# ---------------------------------------------------------------------------------------------
_BUGGY_PREFIXES = [
    "The best answer is",
    "The correct answer is",
    "The answer is",
    "The answer",
    "The best option is" "The correct option is",  # missing comma, kept on purpose
    "Best answer:" "Best option:",  # missing comma, kept on purpose
]


def _first_capital(s, letters):
    # videomme_think/utils.py L231-250 (letters "ABCD");
    # videomathqa_think/utils.py L201-220, minverva/utils.py L175-194, mmvu_think/utils.py L225-244
    # (letters "ABCDE"). str.replace removes every occurrence anywhere, case-sensitive, no strip.
    s = s.strip()
    for prefix in _BUGGY_PREFIXES:
        s = s.replace(prefix, "")
    if len(s.split()) > 10 and not re.search("[%s]" % letters, s):
        return ""
    m = re.search(r"[%s]" % letters, s)
    if m is None:
        return ""
    return m[0]


def score_videomme(raw, options, gt, kind) -> tuple:
    # eval/lmms-eval/lmms_eval/tasks/videomme_think/utils.py L262-280 (process_results:
    # extract_answer L270, extract_characters_regex L271) and L306 (pred_answer == answer).
    # extract_characters_regex L231-250: first capital A/B/C/D character anywhere; E and lower
    # case never match; "" when none.
    pred = _first_capital(extract_answer(raw), "ABCD")
    return pred, _hit(pred, gt)


def score_videomathqa(raw, options, gt, kind) -> tuple:
    # eval/lmms-eval/lmms_eval/tasks/videomathqa_think/utils.py L230-245 (process_results),
    # extract_characters_regex L201-220 (first capital A-E anywhere, "" otherwise, no random),
    # per-sample compare L267 (pred_answer == answer). The options (rendered "(A) text" in the
    # dataset) are only used by the prompt, never by the scoring.
    pred = _first_capital(extract_answer(raw), "ABCDE")
    return pred, _hit(pred, gt)


def score_minerva(raw, options, gt, kind) -> tuple:
    # Task minerva_think lives in eval/lmms-eval/lmms_eval/tasks/minverva_think/ whose utils.py is
    # not in the stored index; transcribed from eval/lmms-eval/lmms_eval/tasks/minverva/utils.py
    # (presumed identical): process_results L204-219, extract_characters_regex L175-194,
    # compare L241. Same rule as VideoMathQA.
    pred = _first_capital(extract_answer(raw), "ABCDE")
    return pred, _hit(pred, gt)


def score_mmvu(raw, options, gt, kind) -> tuple:
    # eval/lmms-eval/lmms_eval/tasks/mmvu_think/utils.py L247-268 (mmvu_process_results).
    pred = extract_answer(raw)  # L255
    if kind != "mc":
        # L260 `answer_text = choices[doc["answer"]]` runs for every item with no question_type
        # branch; for an open-ended item doc["answer"] is free text, so it raises (KeyError /
        # TypeError). The GPT judge (gpt_parser L178-217) is never called. The reference thus
        # cannot score open-ended (or numeric) items: no score.
        return pred, None
    choices = {_LETTERS[i]: o for i, o in enumerate(_opts(options))}  # doc["choices"] dict A..E
    if gt not in choices or choices[gt] is None:
        # L260 KeyError (gt letter not a choice) / L261 AttributeError (None option text).
        return pred, 0.0
    answer_text = choices[gt]  # L260
    pred_ans = pred  # L258
    correct = answer_text.strip() == pred_ans.strip()  # L261: exact option-TEXT match first
    if not correct:  # L262-264: else first capital A-E anywhere (missing-comma prefixes)
        pred_ans = _first_capital(pred, "ABCDE")
        correct = pred_ans == gt
    return pred_ans, 1.0 if correct else 0.0


# ---------------------------------------------------------------------------------------------
# TempCompass / MLVU: startswith prefixes, leading letter, short-text \b letter, "x)" rule.
# ---------------------------------------------------------------------------------------------
_START_PREFIXES = [
    "The best answer is",
    "The correct answer is",
    "The answer is",
    "The answer",
    "The best option is",
    "The correct option is",
    "Best answer:",
    "Best option:",
]


def _leading_letter(s):
    # eval/lmms-eval/lmms_eval/tasks/tempcompass_complete/utils.py L49-85
    # == eval/lmms-eval/lmms_eval/tasks/mlvu_think/utils.py L75-111 (identical bodies).
    s = s.strip()
    for prefix in _START_PREFIXES:  # only at the start, case-sensitive, each tried once
        if s.startswith(prefix):
            s = s[len(prefix):].strip()
    m = re.match(r"^\(?([A-E])\)?[:.]?", s)  # Case 1: no word boundary ("Based" -> B)
    if m:
        return m.group(1)
    if len(s.split()) <= 10:  # Case 2: standalone capital A-E when <= 10 words
        m = re.search(r"\b([A-E])\b", s)
        if m:
            return m.group(1)
    if ")" in s:  # Case 3: char before the FIRST ")" (only path accepting lower case)
        index = s.index(")")
        if index > 0 and s[index - 1].upper() in "ABCDE":
            return s[index - 1].upper()
    return s  # Case 4: the leftover text itself


def score_tempcompass(raw, options, gt, kind) -> tuple:
    # Task tempcompass_complete_think: its utils.py (tasks/tempcompass_complete_think/utils.py) is
    # not in the stored index; transcribed from
    # eval/lmms-eval/lmms_eval/tasks/tempcompass_complete/utils.py (presumed identical):
    # tempcompass_process_results L88-105 (L96-97), compare L115 (pred_answer == answer).
    pred = _leading_letter(extract_answer(raw))
    return pred, _hit(pred, gt)


def score_mlvu(raw, options, gt, kind) -> tuple:
    # eval/lmms-eval/lmms_eval/tasks/mlvu_think/utils.py L114-129 (mlvu_process_results,
    # L122-124), compare L147 (pred_answer == answer).
    pred = _leading_letter(extract_answer(raw))
    return pred, _hit(pred, gt)


# ---------------------------------------------------------------------------------------------
# MVBench
# ---------------------------------------------------------------------------------------------
# eval/lmms-eval/lmms_eval/tasks/mvbench_think/utils.py L106-155 (mcq_acc)
_PERIOD_STRIP = re.compile(r"(?!<=\d)(\.)(?!\d)")  # L107: typo for (?<!\d); deletes "." not before a digit
_COMMA_STRIP = re.compile(r"(\d)(\,)(\d)")  # L108
_PUNCT = [";", r"/", "[", "]", '"', "{", "}", "(", ")", "=", "+", "\\", "_", "-", ">", "<", "@", "`", ",", "?", "!"]  # L109


def _mvbench_punctuation(in_text):
    # L111-119 processPunctuation: the tests look at the ORIGINAL text (in_text).
    out_text = in_text
    for p in _PUNCT:
        if (p + " " in in_text or " " + p in in_text) or (re.search(_COMMA_STRIP, in_text) is not None):
            out_text = out_text.replace(p, "")
        else:
            out_text = out_text.replace(p, " ")
    # L118: periodStrip.sub("", outText, re.UNICODE) -> re.UNICODE (== 32) lands in `count`.
    out_text = _PERIOD_STRIP.sub("", out_text, count=int(re.UNICODE))
    return out_text


def _mvbench_process(answer):
    # L121-145 process()
    m = re.compile(r"^([A-E])\.\s*(.+)$", re.IGNORECASE).match(answer.strip())  # no DOTALL
    if m:
        return m.group(1).upper()
    answer = answer.replace("\n", " ")
    answer = answer.replace("\t", " ")
    answer = answer.strip()
    answer = _mvbench_punctuation(answer)
    answer = answer.strip("'")
    answer = answer.strip('"')
    answer = answer.strip(")")
    answer = answer.strip("(")
    answer = answer.strip().lower()
    # L141: on lower-cased text with IGNORECASE -> matches the article "a" and standalone c/d/e.
    m = re.search(r"\b([A-E])\b", answer, re.IGNORECASE)
    if m:
        return m.group(1).upper()
    return answer


def score_mvbench(raw, options, gt, kind) -> tuple:
    """pred = process(extract_answer(raw)) (the value mcq_acc compares, L147)."""
    # eval/lmms-eval/lmms_eval/tasks/mvbench_think/utils.py L158-183 (mvbench_process_results)
    text = extract_answer(raw)  # L167
    candidates = _opts(options)  # doc["candidates"]
    idx = _LETTERS.find(gt) if isinstance(gt, str) and len(gt) == 1 else -1
    answer_text = candidates[idx] if 0 <= idx < len(candidates) else None  # doc["answer"]
    gt_option_letter = None  # L171-176: letter of the FIRST candidate == doc["answer"]
    for i, candidate in enumerate(candidates):
        if answer_text is not None and candidate == answer_text:
            gt_option_letter = _LETTERS[i]
            break
    pred = _mvbench_process(text)  # L147 (pred processed first)
    if gt_option_letter is None:
        # L148 process(None) -> AttributeError: the reference crashes on this sample.
        return pred, 0.0
    score = 1.0 if pred == _mvbench_process(gt_option_letter) else 0.0  # L148-153
    # L196: aggregation counts only samples whose pred_answer (= extract_answer text) != "".
    if text == "":
        return pred, None
    return pred, score


# ---------------------------------------------------------------------------------------------
# LongVideoBench
# ---------------------------------------------------------------------------------------------
# longvideobench_think/utils.py L211-220: the same eight strings as TempCompass/MLVU (commas present)
_LVB_PREFIXES = _START_PREFIXES


def score_longvideobench(raw, options, gt, kind) -> tuple:
    # eval/lmms-eval/lmms_eval/tasks/longvideobench_think/utils.py
    # L280-291 longvideobench_process_results; L204-230 parse_multi_choice_response;
    # L252-263 eval_multi_choice (gold == pred); gold = chr(ord("A") + correct_choice) (L293).
    pred_text = extract_answer(raw)  # L281
    opts = _opts(options)
    all_choices = []
    for i in range(5):  # L284-289: option0..option4, stop at the first "N/A"
        # The dataset pads missing options with "N/A"; a list shorter than 5 is padded the same way.
        option = opts[i] if i < len(opts) else "N/A"
        if option == "N/A":
            break
        all_choices.append(chr(ord("A") + i))
    s = pred_text.strip()  # L210
    for prefix in _LVB_PREFIXES:  # L221-222: every occurrence, case-sensitive
        s = s.replace(prefix, "")
    # L224-229: both "> 10 words and no [ABCDE]" and "no match" return random.choice(all_choices).
    m = None if (len(s.split()) > 10 and not re.search("[ABCDE]", s)) else re.search(r"[ABCDE]", s)
    if m is None:
        # random.choice(all_choices) -> expected score. Empty all_choices: random.choice([])
        # raises IndexError at L225/L229 -> 0.0.
        if not all_choices:
            return RANDOM, 0.0
        return RANDOM, (1.0 / len(all_choices) if gt in all_choices else 0.0)
    pred = m[0]  # L230: always from [ABCDE], whatever the option count
    return pred, _hit(pred, gt)


# ---------------------------------------------------------------------------------------------
# SciVideoBench
# ---------------------------------------------------------------------------------------------
_SCI_PREFIXES = [  # scivideobench_think/utils.py L118-126
    "The answer is",
    "The correct answer is",
    "The best answer is",
    "Answer:",
    "Option:",
    "### Final Answer:\n$$\\boxed",  # dead: "Answer:" is removed first
    "the final answer is",
]
_SCI_RANDOM = ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J"]  # L143


def score_scivideobench(raw, options, gt, kind) -> tuple:
    # eval/lmms-eval/lmms_eval/tasks/scivideobench_think/utils.py
    # L139-146 scivideobench_process_results; L111-136 extract_answer_letter.
    s = extract_answer(raw).strip()  # L140, L116
    for prefix in _SCI_PREFIXES:  # L127-128
        s = s.replace(prefix, "")
    if len(s.split()) > 16 and not re.search("[ABCDEFGHIJ]", s):  # L130: guard uses A-J
        pred = ""
    else:
        m = re.search(r"[ABCDEFGHIJKL]", s)  # L133: match uses A-L ("I", "Let" -> I, L)
        pred = "" if m is None else m[0]
    if not isinstance(gt, str):
        # L145 doc["answer"].strip() raises AttributeError for a non-string gold.
        return (pred or RANDOM), 0.0
    gold = gt.strip()  # L145
    if not pred:
        # L142-143 random.choice over A-J (10 letters, whatever the option count) -> expected.
        return RANDOM, (1.0 / len(_SCI_RANDOM) if gold in _SCI_RANDOM else 0.0)
    return pred, _hit(pred, gold)  # L146


# ---------------------------------------------------------------------------------------------
# Video-MMMU (MMMU parsers)
# eval/lmms-eval/lmms_eval/tasks/videommmu_think/utils.py
# ---------------------------------------------------------------------------------------------
def _mmmu_parse_multi_choice(response, all_choices, index2ans):
    # L341-424 parse_multi_choice_response
    if response == "API Error" or response == "":  # L346-347
        return "API Error"
    for char in [",", ".", "!", "?", ";", ":", "'"]:  # L350-351
        response = response.strip(char)
    response = " " + response + " "  # L352
    index_ans = True
    ans_with_brack = False
    ans_with_period = False
    ans_with_colon = False
    candidates = []
    for choice in all_choices:  # L362-365 "A."
        if f"{choice}." in response:
            candidates.append(choice)
            ans_with_period = True
    for choice in all_choices:  # L367-370 "A:" (runs even if "A." found something)
        if f"{choice}:" in response:
            candidates.append(choice)
            ans_with_colon = True
    if len(candidates) == 0:  # L372-376 "(A)"
        for choice in all_choices:
            if f"({choice})" in response:
                candidates.append(choice)
                ans_with_brack = True
    if len(candidates) == 0:  # L378-381 "A "
        for choice in all_choices:
            if f"{choice} " in response:
                candidates.append(choice)
    if len(candidates) == 0 and len(response.split()) > 5:  # L384-388 content match
        for index, ans in index2ans.items():
            if ans.lower() in response.lower():
                candidates.append(index)
                index_ans = False
    if len(candidates) == 0:  # L391-392: no random, despite the comment
        return "No Answer Found."
    if len(candidates) > 1:  # L395-419: the last-appearing candidate (np.argmax: first max)
        start_indexes = []
        if index_ans:
            if ans_with_period:
                start_indexes = [response.rfind(f"{can}.") for can in candidates]
            elif ans_with_colon:
                start_indexes = [response.rfind(f"{can}:") for can in candidates]
            elif ans_with_brack:
                start_indexes = [response.rfind(f"({can})") for can in candidates]
            else:
                start_indexes = [response.rfind(f" {can} ") for can in candidates]
        else:
            start_indexes = [response.lower().rfind(index2ans[can].lower()) for can in candidates]
        return candidates[int(np.argmax(start_indexes))]
    return candidates[0]  # L422


def _mmmu_extract_numbers(string):
    # L428-445 extract_numbers
    pattern_commas = r"-?\b\d{1,3}(?:,\d{3})+\b"
    pattern_scientific = r"-?\d+(?:\.\d+)?[eE][+-]?\d+"
    pattern_simple = r"-?(?:\d+\.\d+|\.\d+|\d+\b)(?![eE][+-]?\d+)(?![,\d])"
    return re.findall(pattern_commas, string) + re.findall(pattern_scientific, string) + re.findall(pattern_simple, string)


def _mmmu_check_is_number(string):
    # L449-455 check_is_number
    try:
        float(string.replace(",", ""))
        return True
    except ValueError:
        return False


def _mmmu_normalize_str(string):
    # L459-477 normalize_str
    string = string.strip()
    if _mmmu_check_is_number(string):
        string = string.replace(",", "")
        string = float(string)
        string = round(string, 2)
        return [string]
    string = string.lower()
    if len(string) == 1:
        return [" " + string, string + " "]
    return [string]


_MMMU_INDICATORS = [  # L493-521
    "could be ", "so ", "is ", "thus ", "therefore ", "final ", "answer ", "result ", "are ",
    "in total ", "total ", "identify ", "recognize ", "calculated as ", "counted as ",
    "measured as ", "observed as ", "concluded as ", "found to be ", "equals ",
    "determined to be ", "number of ", "value is ", "adds up to ", "have ", "has ",
]


def _mmmu_parse_open(response):
    # L480-569 parse_open_response
    if response == "API Error" or response == "":  # L485-486
        return "API Error"

    def get_key_subresponses(response):  # L489-553
        response = response.strip().strip(".").lower()  # lower() BEFORE the split below
        sub_responses = re.split(r"\.\s(?=[A-Z])|\n", response)
        indicators_of_keys = list(_MMMU_INDICATORS)
        key_responses = []
        for index, resp in enumerate(sub_responses):
            if index == len(sub_responses) - 1:  # L526-527 (extend inside the loop, as in L527)
                indicators_of_keys.extend(["="])
            shortest_key_response = None
            for indicator in indicators_of_keys:
                if indicator in resp:
                    if not shortest_key_response:
                        shortest_key_response = resp.split(indicator)[-1].strip()
                    else:
                        if len(resp.split(indicator)[-1].strip()) < len(shortest_key_response):
                            shortest_key_response = resp.split(indicator)[-1].strip()
            if shortest_key_response:
                if shortest_key_response.strip() not in [":", ",", ".", "!", "?", ";", ":", "'"]:
                    key_responses.append(shortest_key_response)
        if len(key_responses) == 0:
            return [response]  # L552: the stripped, lower-cased `response` of L491
        return key_responses

    key_responses = get_key_subresponses(response)  # L555
    pred_list = key_responses.copy()  # L557-559
    for resp in key_responses:
        pred_list.extend(_mmmu_extract_numbers(resp))
    tmp_pred_list = []  # L561-564
    for item in pred_list:
        tmp_pred_list.extend(_mmmu_normalize_str(item))
    # L567 list(set(...)): the ORDER is hash-dependent in the reference; compare as a set.
    return list(set(tmp_pred_list))


def _mmmu_eval_open(gold_i, pred_i):
    # L291-313 eval_open
    correct = False
    if isinstance(gold_i, list):
        norm_answers = []
        for answer in gold_i:
            norm_answers.extend(_mmmu_normalize_str(answer))
    else:
        norm_answers = _mmmu_normalize_str(gold_i)
    for pred in pred_i:
        if isinstance(pred, str):  # gold string contained in the predicted string
            for norm_ans in norm_answers:
                if isinstance(norm_ans, str) and norm_ans in pred:
                    if not correct:
                        correct = True
                    break
        else:  # float: exact membership among the normalized gold values
            if pred in norm_answers:
                if not correct:
                    correct = True
                break
    return correct


def score_videommmu(raw, options, gt, kind) -> tuple:
    # eval/lmms-eval/lmms_eval/tasks/videommmu_think/utils.py L154-165 (videommmu_process_results),
    # scoring in evaluate_videommmu L317-338; "API Error" samples are removed by the aggregation
    # filter L185 -> score None.
    pred = extract_answer(raw)  # L155
    if kind == "mc":  # question_type == "multiple-choice" (L158-160)
        opts = _opts(options)
        all_choices = [chr(ord("A") + i) for i in range(len(opts))]  # get_multi_choice_info L572-585
        index2ans = {c: o for c, o in zip(all_choices, opts)}  # raw option strings
        parsed = _mmmu_parse_multi_choice(pred, all_choices, index2ans)
        if parsed == "API Error":
            return parsed, None
        return parsed, 1.0 if gt == parsed else 0.0  # eval_multi_choice L275-287 (gold == pred)
    parsed = _mmmu_parse_open(pred)  # L161-162: every non-"multiple-choice" question type
    if parsed == "API Error":
        return parsed, None
    # eval_open L291-313 with doc["answer"] as gold. The gold is a string (or list of strings) in
    # the dataset; a non-string number is turned into its str() here (normalize_str would raise).
    gold = gt if isinstance(gt, (str, list)) else str(gt)
    return parsed, 1.0 if _mmmu_eval_open(gold, parsed) else 0.0


# ---------------------------------------------------------------------------------------------
# VSI-Bench, lmms-eval task vsibench_think
# eval/lmms-eval/lmms_eval/tasks/vsibench_think/utils.py
# ---------------------------------------------------------------------------------------------
VSI_MCA_QUESTION_TYPES = [  # L12-19 (== post-processing script L38-45)
    "object_rel_direction_easy",
    "object_rel_direction_medium",
    "object_rel_direction_hard",
    "object_rel_distance",
    "route_planning",
    "obj_appearance_order",
]
VSI_NA_QUESTION_TYPES = [  # L20-25 (== post-processing script L46-51)
    "object_abs_distance",
    "object_counting",
    "object_size_estimation",
    "room_size_estimation",
]


def _vsi_fuzzy_matching(pred):
    # L81-82: first token of split(" ") (literal space only), rstrip("."), strip()
    return pred.split(" ")[0].rstrip(".").strip()


def _vsi_to_float(pred):
    # L106-111
    try:
        return float(pred)
    except BaseException:
        return None


def _vsi_mra_lmms(pred, target, start=0.5, end=0.95, interval=0.05):
    # L89-90 abs_dist_norm (divides by target, not abs(target)); L93-97 mean_relative_accuracy:
    # int((0.95-0.5)/0.05 + 2) == int(10.999999999999998) == 10 thresholds, operator <=.
    num_pts = (end - start) / interval + 2
    conf_intervs = np.linspace(start, end, int(num_pts))
    accuracy = abs(pred - target) / target <= 1 - conf_intervs
    return float(accuracy.mean())


def score_vsibench_lmms(raw, options, gt, kind) -> tuple:
    """pred: MCA -> the first token compared (string); NA -> float of the first token (or None)."""
    # L114-128 vsibench_process_results
    prediction = extract_answer(raw)  # L115
    if kind == "mc":  # MCA (L116-118): exact_match L85-86, case-insensitive equality
        token = _vsi_fuzzy_matching(prediction)
        return token, 1.0 if token.lower() == str(gt).lower() else 0.0
    if kind == "numeric":  # NA (L119-124)
        p = _vsi_to_float(_vsi_fuzzy_matching(prediction))
        t = _vsi_to_float(gt)
        try:
            return p, _vsi_mra_lmms(p, t)
        except TypeError:  # L123-124: None operand -> WORST_CASE_FOR_METRICS (0.0, L100-103)
            return p, 0.0
        except ZeroDivisionError:
            # L90 divides by target: gt == 0 raises ZeroDivisionError, uncaught in the reference.
            return p, 0.0
    # L125-126: unknown question type -> ValueError in the reference.
    return prediction, 0.0


# ---------------------------------------------------------------------------------------------
# VSI-Bench, post-processing script (LLM steps OFF)
# eval/scripts/post_processing/post_process_vsibench_predictions.py
# ---------------------------------------------------------------------------------------------
def _vsi_extract_option_letter(text, options=None):
    # L57-94 extract_option_letter
    if not text:
        return None
    t = text.strip()
    m = re.match(r"^\s*([A-Da-d])(\b|[\.\):\-\s])", t)
    if m:
        return m.group(1).upper()
    if len(t) == 1 and t.upper() in ["A", "B", "C", "D"]:
        return t.upper()
    if options:
        letter_to_body = {}
        for opt in options:
            m2 = re.match(r"^\s*([A-Da-d])\s*[\.\):-]\s*(.*)$", (opt or "").strip())
            if m2:
                letter_to_body[m2.group(1).upper()] = m2.group(2).strip()
        lower_pred = t.lower()
        for letter, body in letter_to_body.items():  # first option (list order) whose body is in pred
            if body and body.lower() in lower_pred:
                return letter

        def norm(s):
            return re.sub(r"[\W_]+", "", s.lower())

        npred = norm(lower_pred)
        for letter, body in letter_to_body.items():
            if not body:
                continue
            if norm(body) and norm(body) in npred:
                return letter
    return None


def _vsi_safe_float(x):
    # L114-121
    try:
        v = float(x)
        if math.isfinite(v):
            return v
        return None
    except Exception:
        return None


def _vsi_regex_number_fallback(text):
    # L124-129: first "[-+]?\d+(?:\.\d+)?" ("1,000" -> 1.0, ".5" -> 5.0)
    if not text:
        return None
    m = re.search(r"[-+]?\d+(?:\.\d+)?", text)
    return _vsi_safe_float(m.group(0)) if m else None


def _vsi_mra_post(pred, target, start=0.5, end=0.95, interval=0.05):
    # L97-111: int((0.95-0.5)/0.05) + 1 == 9 thresholds (linspace(0.5, 0.95, 9)); abs(target);
    # None / non-finite / target == 0 -> 0.0.
    if pred is None or target is None:
        return 0.0
    if not math.isfinite(pred) or not math.isfinite(target) or target == 0:
        return 0.0
    num_pts = int((end - start) / interval) + 1
    c_vals = np.linspace(start, end, num_pts)
    err = abs(pred - target) / abs(target)
    return float((err <= (1.0 - c_vals)).mean())


def score_vsibench_post(raw, options, gt, kind) -> tuple:
    """pred: MCA -> the parsed letter (or None); NA -> the regex-fallback float (or None)."""
    # The script reads vsibench_score.prediction (L166), i.e. extract_answer(raw) from lmms-eval.
    prediction = extract_answer(raw)
    if kind == "mc":
        # L393-394 gt letter; L395 extract_option_letter(str(pred), options); L413-414 / L423-424
        # (1.0 on match, else 0.0 with --use_llm_for_MCA off, the default).
        # VSI-Bench stores its options lettered ("A. sofa"); they are rendered that way here so
        # that the option-body matching of L72-93 sees what it sees in the dataset.
        opts = [f"{_LETTERS[i]}. {o}" for i, o in enumerate(_opts(options))]
        m_gt = re.match(r"^\s*([A-Da-d])\b", str(gt) or "")
        gt_letter = m_gt.group(1).upper() if m_gt else None
        pred_letter = _vsi_extract_option_letter(str(prediction), opts)
        ok = pred_letter is not None and gt_letter is not None and pred_letter == gt_letter
        return pred_letter, 1.0 if ok else 0.0
    if kind == "numeric":
        # NA: LLM OFF -> the regex fallback of L365-366 on the prediction; gt via safe_float
        # (L427); MRA L97-111 with 9 thresholds.
        value = _vsi_regex_number_fallback(prediction)
        return value, _vsi_mra_post(value, _vsi_safe_float(gt))
    # L448-455: unknown question type -> metric_value None, ignored by the aggregation.
    return prediction, None


RULES = {
    "videomme": score_videomme,
    "tempcompass": score_tempcompass,
    "mlvu": score_mlvu,
    "mvbench": score_mvbench,
    "longvideobench": score_longvideobench,
    "videomathqa": score_videomathqa,
    "minerva": score_minerva,
    "scivideobench": score_scivideobench,
    "mmvu": score_mmvu,
    "videommmu": score_videommmu,
    "vsibench": score_vsibench_post,
    "vsibench_lmms": score_vsibench_lmms,
}


# ---------------------------------------------------------------------------------------------
# Aggregations: input = list of (score, category) pairs, score None = excluded; output percent.
# ---------------------------------------------------------------------------------------------
def _valid(pairs):
    return [(float(s), c) for s, c in pairs if s is not None]


def aggregate_micro(pairs, percent_ndigits=None):
    """100 * mean score over non-excluded samples (0 when none).

    Micro accuracy as returned by VideoMME (videomme_think/utils.py L344-350), TempCompass
    (tempcompass_complete/utils.py L115-118), VideoMathQA (videomathqa_think/utils.py L289-297),
    MINERVA (minverva/utils.py L263-271), LongVideoBench (longvideobench_think/utils.py L302-325:
    double bucketing by duration_group and question_category cancels out; returned as a fraction
    rounded to 5 dp -> percent_ndigits=3), SciVideoBench (scivideobench_think/utils.py L196:
    rounded to 2 dp -> percent_ndigits=2) and MMVU (mmvu_think/utils.py L315-331; the reference
    silently drops samples whose video_path category is not in TASK_MAP L279-307; the caller must
    leave those out). Unrounded by default.
    """
    v = _valid(pairs)
    acc = 100.0 * sum(s for s, _ in v) / len(v) if v else 0.0
    return round(acc, percent_ndigits) if percent_ndigits is not None else acc


MLVU_TASK_TYPES = ["anomaly_reco", "count", "ego", "needle", "order", "plotQA", "topic_reasoning"]


def aggregate_mlvu(pairs, breakdown=False):
    # eval/lmms-eval/lmms_eval/tasks/mlvu_think/utils.py L132-171 (mlvu_aggregate_results_dev):
    # per type 100*correct/answered (0 if none answered), summed over the 7 FIXED types and divided
    # by 7. An unknown task type raises KeyError at L146 (reproduced).
    cat = {t: [0.0, 0] for t in MLVU_TASK_TYPES}
    for s, c in _valid(pairs):
        cat[c][1] += 1  # KeyError for a type outside the 7, as in L146
        cat[c][0] += s
    per = {}
    for t in MLVU_TASK_TYPES:  # L152-160 (substring test "t in k" only ever matches its own key)
        correct = sum(v[0] for k, v in cat.items() if t in k)
        answered = sum(v[1] for k, v in cat.items() if t in k)
        per[t] = 100 * correct / answered if answered > 0 else 0
    overall = sum(per.values()) / len(MLVU_TASK_TYPES)  # L164-165
    return (overall, per) if breakdown else overall


def aggregate_mvbench(pairs, breakdown=False):
    # Per subtask: eval/lmms-eval/lmms_eval/tasks/mvbench_think/utils.py L186-200
    # (100 * sum(score) / #samples with non-empty answer text; 0 when none).
    # ASSUMPTION: the group eval/lmms-eval/lmms_eval/tasks/mvbench_think/mvbench.yaml L1-22 has no
    # aggregate_metric_list, so the code produces no MVBench-wide number. The final number here is
    # the unweighted mean over the subtasks present in `pairs` (a subtask whose samples are all
    # excluded counts with its reference value 0).
    subtasks = {}
    for s, c in pairs:
        d = subtasks.setdefault(c, [0.0, 0])
        if s is not None:
            d[0] += float(s)
            d[1] += 1
    per = {c: (100 * d[0] / d[1] if d[1] > 0 else 0) for c, d in subtasks.items()}
    overall = sum(per.values()) / len(per) if per else 0.0
    return (overall, per) if breakdown else overall


def aggregate_vsibench_lmms(pairs, breakdown=False):
    # eval/lmms-eval/lmms_eval/tasks/vsibench_think/utils.py L131-165 (vsibench_aggregate_results):
    # mean per question type (pandas groupby; None would be NaN and skipped by .mean()), the three
    # object_rel_direction_{easy,medium,hard} means popped and replaced by their unweighted mean,
    # overall = mean of the remaining entries (8 when all types are present).
    # Reproduced errors: an unknown type raises ValueError (L150); a missing direction sub-type
    # raises KeyError (output.pop, L155-157).
    vals = {}
    for s, c in _valid(pairs):
        if c not in VSI_MCA_QUESTION_TYPES and c not in VSI_NA_QUESTION_TYPES:
            raise ValueError(f"Unknown question type: {c}")
        vals.setdefault(c, []).append(s)
    out = {}
    for c in sorted(vals):
        suffix = "accuracy" if c in VSI_MCA_QUESTION_TYPES else "MRA:.5:.95:.05"
        out[f"{c}_{suffix}"] = sum(vals[c]) / len(vals[c])
    out["object_rel_direction_accuracy"] = (
        sum(
            [
                out.pop("object_rel_direction_easy_accuracy"),
                out.pop("object_rel_direction_medium_accuracy"),
                out.pop("object_rel_direction_hard_accuracy"),
            ]
        )
        / 3.0
    )
    overall = 100.0 * sum(out.values()) / len(out)  # L163
    per = {k: 100.0 * v for k, v in out.items()}
    return (overall, per) if breakdown else overall


def aggregate_vsibench_post(pairs, breakdown=False):
    # eval/scripts/post_processing/post_process_vsibench_predictions.py L490-521: per-type mean over
    # rows whose metric_value is a number and whose type is one of the 10 known types; Overall =
    # mean of the per-type means present (10 when all present; direction easy/medium/hard apart).
    vals = {}
    for s, c in _valid(pairs):
        if c in VSI_MCA_QUESTION_TYPES + VSI_NA_QUESTION_TYPES:
            vals.setdefault(c, []).append(s)
    per = {t: float(np.mean(vals[t])) for t in VSI_MCA_QUESTION_TYPES + VSI_NA_QUESTION_TYPES if t in vals}
    overall = 100.0 * float(np.mean(list(per.values()))) if per else 0.0
    per = {k: 100.0 * v for k, v in per.items()}
    return (overall, per) if breakdown else overall


def aggregate_videommmu(pairs, breakdown=False, reference_rounding=False):
    # Per track (category = track name, e.g. adaptation / comprehension / perception):
    # eval/lmms-eval/lmms_eval/tasks/videommmu_think/utils.py L180-219: samples whose parsed_pred is
    # "API Error" (score None) are filtered out (L185); the subject-weighted instance accuracy
    # (L213, calculate_ins_level_acc L228-236) equals the pooled accuracy over the valid samples;
    # the reference returns it as a fraction rounded to 5 dp (L216) -> reference_rounding=True.
    # ASSUMPTION: the group eval/lmms-eval/lmms_eval/tasks/videommmu_think/video_mmmu.yaml L1-5 has
    # no aggregate_metric_list; the code does not determine how the 3 tracks combine. The overall
    # here is the unweighted mean of the tracks present.
    tracks = {}
    for s, c in pairs:
        d = tracks.setdefault(c, [0.0, 0])
        if s is not None:
            d[0] += float(s)
            d[1] += 1
    per = {}
    for c, d in tracks.items():
        acc = d[0] / d[1] if d[1] > 0 else 0
        per[c] = 100.0 * (round(acc, 5) if reference_rounding else acc)
    overall = sum(per.values()) / len(per) if per else 0.0
    return (overall, per) if breakdown else overall
