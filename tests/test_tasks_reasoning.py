"""The six reasoning benchmarks: mirror loading, reference prompts, scoring and aggregation."""

from __future__ import annotations

import importlib
import math
import os
from pathlib import Path

import pytest

from videor2.errors import error_response
from videor2.fixtures import build_pool
from videor2.tasks.common import scoring
from videor2.tasks.common.prompts import THINK_POST_PROMPT

BENCHES = ("videomathqa", "videommmu", "mmvu", "vsibench", "minerva", "scivideobench")
EXPECTED_ROWS = {"videomathqa": 3, "videommmu": 4, "mmvu": 3, "vsibench": 4, "minerva": 3, "scivideobench": 3}
COLUMNS = {
    "videomathqa": {"question_id", "videoID", "question", "options", "answer", "category", "length"},
    "minerva": {"question_id", "videoID", "question", "options", "answer", "category", "length"},
    "videommmu": {"id", "question", "options", "answer", "question_type", "image", "track"},
    "mmvu": {"id", "question", "choices", "answer", "question_type"},
    "vsibench": {"id", "dataset", "scene_name", "question_type", "question", "options", "ground_truth"},
    "scivideobench": {"video_id", "question", "options", "answer", "question_type", "category"},
}


def mod(bench):
    return importlib.import_module(f"videor2.tasks.{bench}.utils")


@pytest.fixture(scope="session")
def pool(tmp_path_factory):
    env = os.environ.get("VIDEOR2_TEST_POOL")
    return build_pool(Path(env) if env else tmp_path_factory.mktemp("pool"))


@pytest.fixture(scope="session")
def mirrors(pool, tmp_path_factory):
    root = tmp_path_factory.mktemp("mirror")
    out = {}
    for b in BENCHES:
        (root / b).mkdir()
        mod(b).write_fixture(root / b, pool)
        out[b] = mod(b).BENCHMARK.load(root / b)
    return out


def rows(mirrors, bench):
    return [dict(r) for r in mirrors[bench]]


def score(bench, doc, response):
    return mod(bench).process_results(doc, [response])


def ok(x):
    return f"<think>Let me think. Hmm, I checked the video.</think><answer>{x}</answer>"


# ---------------------------------------------------------------- loading


@pytest.mark.parametrize("bench", BENCHES)
def test_load_mirror(mirrors, bench):
    ds = mirrors[bench]
    assert len(ds) == EXPECTED_ROWS[bench]
    assert COLUMNS[bench] <= set(ds.column_names)
    for r in ds:
        p = Path(r["video_path"])
        assert p.is_absolute()
        assert mod(bench).doc_to_visual(r) == [r["video_path"]]


def test_video_layouts(mirrors):
    vsi = rows(mirrors, "vsibench")
    assert all(r["video_path"].endswith(f"{r['dataset']}/{r['scene_name']}.mp4") for r in vsi)
    assert sum(Path(r["video_path"]).stat().st_size == 0 for r in vsi) == 1  # the one "empty" video
    assert all(Path(r["video_path"]).stat().st_size > 0 for b in BENCHES if b != "vsibench" for r in mirrors[b])
    mm = rows(mirrors, "videommmu")
    assert {r["track"] for r in mm} == {"Perception", "Comprehension", "Adaptation"}
    assert any(r["video_path"].endswith("Science/test_Chemistry_12.mp4") for r in mm)
    assert any(r["image"] is not None for r in mm if r["track"] == "Adaptation")
    assert all(Path(r["video_path"]).parent.name == "videos" for r in mirrors["videomathqa"])
    assert any("/videos/jove_58231.mp4" in r["video_path"] for r in mirrors["scivideobench"])
    assert mod("mmvu").category(rows(mirrors, "mmvu")[0]) == "Chemistry"
    # the 10-minute video is in MINERVA
    assert any(Path(r["video_path"]).stat().st_size > 1_000_000 for r in mirrors["minerva"])


# ---------------------------------------------------------------- prompts (literal, as docs/BENCHMARKS.md lists them)

MCQ5 = ("Select the best answer to the following multiple-choice question based on the video. "
        "Respond with the letter (A, B, C, D or E) of the correct option.")


def test_prompt_videomathqa(mirrors):
    doc = rows(mirrors, "videomathqa")[0]
    expected = (MCQ5 + "\nThe video constructs triangle ABC with angle A = 50 degrees and angle B = 60 degrees. "
                "What is the measure of angle C in degrees?\n(A) 60\n(B) 70\n(C) 80\n(D) 90\n(E) 110\n"
                + THINK_POST_PROMPT)
    assert mod("videomathqa").doc_to_text(doc) == expected
    two = rows(mirrors, "videomathqa")[2]
    assert mod("videomathqa").doc_to_text(two).startswith(
        "Select the best answer to the following multiple-choice question based on the video. "
        "Respond with the letter (A or B) of the correct option.\nIs the loop")


def test_prompt_minerva(mirrors):
    doc = rows(mirrors, "minerva")[1]
    expected = (MCQ5 + "\nHow many eggs are cracked into the bowl before the flour is added?\n"
                "(A) One\n(B) Two\n(C) Three\n(D) Four\n(E) Five\n" + THINK_POST_PROMPT)
    assert mod("minerva").doc_to_text(doc) == expected


def test_prompt_videommmu(mirrors):
    by_id = {r["id"]: r for r in rows(mirrors, "videommmu")}
    m = mod("videommmu")
    assert m.doc_to_text(by_id["test_Chemistry_12"]) == (
        "Which reagent does the lecturer add to the beaker first?\nA. Sodium chloride\nB. Hydrochloric acid\n"
        "C. Distilled water\nD. Ethanol\nPlease ignore the Quiz question in last frame of the video." + THINK_POST_PROMPT)
    assert m.doc_to_text(by_id["test_Economics_7"]).startswith(
        "Using the supply and demand model from the video, what happens to the equilibrium price when supply "
        "decreases and demand is unchanged?\nA. It rises\nB. It falls\n")  # already lettered: not doubled
    assert m.doc_to_text(by_id["test_Math_3"]) == (
        "You should watch and learn the video content. Then apply what you learned to answer the following "
        "multi-choice question. The image for this question is at the end of the video."  # no separator (the fork)
        "Apply the method from the video to the triangle in the image: what is the length of the hypotenuse "
        "when the legs are 6 and 8?\nA. 8\nB. 10\nC. 12\nD. 14\nE. 48" + THINK_POST_PROMPT)
    assert m.doc_to_text(by_id["test_Physics_21"]).startswith(
        "You should watch and learn the video content. Then apply what you learned to answer the following "
        "open-ended question. The image for this question is at the end of the video.Using the formula")


def test_prompt_mmvu(mirrors):
    mc, _, op = rows(mirrors, "mmvu")
    m = mod("mmvu")
    assert m.doc_to_text(mc) == (
        "\nQuestion:Which indicator colour change marks the end point of the titration shown in the video?"
        "\nA: Blue to yellow\nB: Red to green\nC: Yellow to red\nD: Colourless to pink\nE: Green to purple"
        "\nAnswer directly with the option letter from the given choices. " + THINK_POST_PROMPT[1:]
        + " Ensure to include the thinking process inside <think> and </think> tags and the final answer inside "
          "<answer> and </answer> tags.\n")  # mmvu_think/utils.py L48-56, verbatim
    assert m.doc_to_text(op) == (  # L58-62: no thinking asked, no post-prompt
        "\nQuestion:What graph traversal algorithm does the animation demonstrate?\nVisual Information: processed "
        "video\nDo not generate any intermediate thinking. Directly output the final answer.\n")


def test_prompt_vsibench(mirrors):
    count, _, direction, _ = rows(mirrors, "vsibench")
    m = mod("vsibench")
    assert m.doc_to_text(count) == (
        "These are frames of a video.\nHow many chair(s) are in this room?\n"
        "Please answer the question using a single word or phrase." + THINK_POST_PROMPT)
    assert m.doc_to_text(direction) == (
        "These are frames of a video.\nIf I am standing by the refrigerator and facing the sofa, is the table to my "
        "left, right, or back? An object is to my back if I would have to turn at least 135 degrees in order to "
        "face it.\nOptions:\nA. left\nB. right\nC. back\n" + THINK_POST_PROMPT)


def test_prompt_scivideobench(mirrors):
    doc = rows(mirrors, "scivideobench")[0]
    assert mod("scivideobench").doc_to_text(doc) == (
        "The researcher dilutes 20 uL of stock into a final volume of 200 uL. What is the dilution factor?\n"
        "A. 2\nB. 5\nC. 10\nD. 20\nE. 50\nF. 100\nG. 200\nH. 0.1\nI. 1\nJ. 4"
        "\nAnswer with the option's letter from the given choices directly." + THINK_POST_PROMPT)


# ---------------------------------------------------------------- scoring


def _fmt(gt):
    return str(int(gt)) if isinstance(gt, float) and gt.is_integer() else str(gt)


@pytest.mark.parametrize("bench", BENCHES)
def test_scoring_cases(mirrors, bench):
    m = mod(bench)
    for doc in rows(mirrors, bench):
        key = m.BENCHMARK.answer_key(doc)
        assert isinstance(key, scoring.AnswerKey) and key.question
        assert THINK_POST_PROMPT.strip() not in key.question
        right = score(bench, doc, ok(_fmt(key.gt)))
        assert set(right) == set(m.BENCHMARK.metrics)
        assert right["videor2_acc"]["score"] == 1.0 and right["videor2_acc"]["status"] == "ok"
        if key.kind == "mc":
            wrong = "A" if key.gt != "A" else "B"
        elif key.kind == "numeric":
            wrong = str(key.gt * 3 + 7)
        else:
            wrong = "breadth-first search" if "search" in key.gt else "2.71"
        assert score(bench, doc, ok(wrong))["videor2_acc"]["score"] == 0.0
        untagged = score(bench, doc, "I could not decide.")["videor2_acc"]
        assert untagged["score"] == 0.0 and untagged["status"] in ("no_answer_tag", "unparsable")
        err = score(bench, doc, error_response("video_error", "x"))
        assert err["videor2_acc"]["status"] == "video_error" and err["videor2_acc"]["score"] == 0.0
        agg = getattr(m, "aggregate_errors")
        assert agg([err["errors"], right["errors"]]) == 1


@pytest.mark.parametrize("bench", ["videomathqa", "minerva", "mmvu", "scivideobench"])
def test_micro_accuracy(mirrors, bench):
    docs = rows(mirrors, bench)
    m = mod(bench)
    items = [score(bench, docs[0], ok(_fmt(m.BENCHMARK.answer_key(docs[0]).gt)))["videor2_acc"]]
    items += [score(bench, d, "no idea")["videor2_acc"] for d in docs[1:]]
    assert m.aggregate_robust_acc(items) == pytest.approx(100.0 / len(docs))
    # the reference cannot score MMVU's open-ended items (mmvu_think L260): they leave its denominator
    counted = [d for d in docs if m.BENCHMARK.answer_key(d).kind == "mc"] if bench == "mmvu" else docs
    # SciVideoBench draws a random letter among A-J when it finds none: its expected value, 1/10
    expected_miss = 0.1 if bench == "scivideobench" else 0.0
    assert m.aggregate_reference_acc(items) == pytest.approx(100.0 * (1 + expected_miss * (len(counted) - 1)) / len(counted))
    assert all("fallback" in i["ref_flags"] for i in items[1:]) == (bench == "scivideobench")


def _vsi_doc(qtype, gt, options=None):
    return {"id": 0, "dataset": "scannet", "scene_name": "s", "question_type": qtype, "question": "q",
            "options": options, "ground_truth": gt, "video_path": "/x.mp4"}


@pytest.mark.parametrize("gt,pred,expected", [
    ("10", "9.5", 1.0),   # rel 0.05 <= 0.05: every threshold
    ("10", "9", 0.9),     # rel 0.10: θ = 0.50..0.90
    ("10", "8", 0.7),     # rel 0.20: θ = 0.50..0.80
    ("10", "15", 0.1),    # rel 0.50: only θ = 0.50
    ("10", "4.9", 0.0),   # rel 0.51
    ("24.5", "22.05", 0.9),
    ("6", "six", 1.0),
    ("6", "many", 0.0),
])
def test_vsi_mra_boundaries(gt, pred, expected):
    item = mod("vsibench").process_results(_vsi_doc("object_counting", gt), [ok(pred)])["videor2_acc"]
    assert item["score"] == pytest.approx(expected)


def test_vsi_overall_relative_direction_averaged():
    m = mod("vsibench")
    opts = ["A. left", "B. right", "C. back"]

    def item(qtype, response, gt="B"):
        doc = _vsi_doc(qtype, gt, opts) if qtype in m.MCA_QUESTION_TYPES else _vsi_doc(qtype, gt)
        return m.process_results(doc, [ok(response)])["videor2_acc"]

    items = [
        item("object_rel_direction_easy", "B"), item("object_rel_direction_easy", "A"),  # 50
        item("object_rel_direction_medium", "B"),                                        # 100
        item("object_rel_direction_hard", "C"),                                          # 0
        item("object_counting", "9", gt="10"),                                           # 90
        item("route_planning", "B"),                                                     # 100
    ]
    # relative direction = (50 + 100 + 0) / 3 = 50; overall = (50 + 90 + 100) / 3
    assert m.aggregate_rel_direction(items) == pytest.approx(50.0)
    assert m.aggregate_overall(items) == pytest.approx(80.0) == m.aggregate_robust_acc(items)
    assert m.aggregate_type_object_rel_direction_easy(items) == pytest.approx(50.0)
    assert m.aggregate_type_object_counting(items) == pytest.approx(800 / 9)  # breakdowns follow the scoring: reference
    assert m.aggregate_type_room_size_estimation(items) is None  # absent type: null, not NaN
    for name in m.BENCHMARK.metrics:
        assert name == "videor2_acc" or "videor2_acc" not in name
    # the reference: the post-processing Overall, a mean over the 10 types present (direction kept apart),
    # MRA over 9 thresholds (0.1 off: 8 of 9); the lmms-eval task's own overall rides along
    assert m.aggregate_reference_acc(items) == pytest.approx((50 + 100 + 0 + 800 / 9 + 100) / 5)
    assert m.aggregate_videor2_acc(items) == m.aggregate_reference_acc(items)
    assert m.aggregate_task_overall(items) == pytest.approx(80.0)


def test_videommmu_open_rounding_and_macro(mirrors):
    m = mod("videommmu")
    by_id = {r["id"]: r for r in rows(mirrors, "videommmu")}
    open_doc = by_id["test_Physics_21"]
    assert m.process_results(open_doc, [ok("3.14159")])["videor2_acc"]["score"] == 1.0
    assert m.process_results(open_doc, [ok("3.15")])["videor2_acc"]["score"] == 0.0
    items = [
        m.process_results(by_id["test_Chemistry_12"], [ok("C")])["videor2_acc"],  # perception 100
        m.process_results(by_id["test_Economics_7"], [ok("B")])["videor2_acc"],   # comprehension 0
        m.process_results(by_id["test_Math_3"], [ok("B")])["videor2_acc"],        # adaptation 50
        m.process_results(open_doc, [ok("7")])["videor2_acc"],
    ]
    assert m.aggregate_robust_acc(items) == pytest.approx(50.0)  # macro (100 + 0 + 50) / 3; micro also 50
    assert m.aggregate_robust_acc(items[:1] + items[2:]) == pytest.approx(75.0)  # (100 + 50) / 2, micro 66.7
    assert m.aggregate_reference_acc(items[:1] + items[2:]) == pytest.approx(75.0)  # the same by MMMU rules
    assert m.aggregate_track_adaptation(items) == pytest.approx(50.0)
    assert m.aggregate_track_comprehension(items[:1]) is None


def test_scivideobench_unparsable_is_deterministic(mirrors):
    doc = rows(mirrors, "scivideobench")[0]
    outs = [mod("scivideobench").process_results(doc, ["<think>hmm</think><answer>not sure at all</answer>"])
            for _ in range(20)]
    assert all(o["videor2_acc"]["score"] == 0.0 and o["videor2_acc"]["status"] == "unparsable"
               and o["videor2_acc"]["pred"] is None for o in outs)


def test_rendered_yaml_metric_lists_match(mirrors):
    import yaml

    from videor2.tasks.registry import task_files

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("!function", lambda loader, node: loader.construct_scalar(node))
    files = task_files()
    for b in BENCHES:
        cfg = yaml.load(files[f"videor2_{b}.yaml"], Loader=Loader)
        assert cfg["task"] == f"videor2_{b}"
        assert cfg["dataset_path"] == mod(b).HUB_ID
        assert [x["metric"] for x in cfg["metric_list"]] == mod(b).BENCHMARK.metrics
        for x in cfg["metric_list"]:
            module, _, fn = x["aggregation"].rpartition(".")
            assert callable(getattr(importlib.import_module(module), fn))
            assert x["higher_is_better"] is (x["metric"] != "errors")
    mm = yaml.load(files["videor2_videommmu.yaml"], Loader=Loader)
    assert mm["generation_kwargs"]["max_new_tokens"] == 2048 and mm["generation_kwargs"]["until"] == ["<|im_end|>"]
    assert yaml.load(files["videor2_mmvu.yaml"], Loader=Loader)["test_split"] == "validation"
    assert not math.isnan(scoring.micro_accuracy([{"score": 1.0}]))
