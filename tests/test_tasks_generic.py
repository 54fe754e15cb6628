"""The 5 generic benchmarks: mirror written in the hub layout, loaded back, prompts, scoring."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest
import yaml

from videor2.errors import error_response
from videor2.tasks.common import scoring
from videor2.tasks.common.prompts import THINK_POST_PROMPT

GENERIC = ("mvbench", "videomme", "tempcompass", "mlvu", "longvideobench")
ROWS = {"mvbench": 3, "videomme": 3, "tempcompass": 3, "mlvu": 3, "longvideobench": 3}
COLUMNS = {
    "mvbench": {"video", "question", "candidates", "answer", "subtask"},
    "videomme": {"videoID", "question_id", "duration", "task_type", "question", "options", "answer"},
    "tempcompass": {"video_id", "question", "options", "answer", "dim"},
    "mlvu": {"video_name", "question", "answer", "task_type"},
    "longvideobench": {"id", "question", "option0", "option4", "correct_choice", "duration_group"},
}
GT = {  # ground truth per fixture row, in order
    "mvbench": ["C", "B", "A"], "videomme": ["C", "A", "D"], "tempcompass": ["B", "A", "C"],
    "mlvu": ["D", "B", "A"], "longvideobench": ["C", "B", "D"],
}
BROKEN = {"mvbench": "corrupt", "longvideobench": "missing"}


def utils(bench):
    return importlib.import_module(f"videor2.tasks.{bench}.utils")


@pytest.fixture(scope="session")
def pool(tmp_path_factory) -> dict[str, Path]:
    from videor2.fixtures import build_pool

    given = os.environ.get("VIDEOR2_TEST_POOL")
    return build_pool(Path(given) if given else tmp_path_factory.mktemp("pool"))


@pytest.fixture(scope="module")
def mirror(tmp_path_factory, pool) -> Path:
    root = tmp_path_factory.mktemp("generic_mirror")
    for bench in GENERIC:
        (root / bench).mkdir()
        utils(bench).write_fixture(root / bench, pool)
    return root


@pytest.fixture(scope="module")
def loaded(mirror):
    return {b: utils(b).load(mirror / b) for b in GENERIC}


@pytest.mark.parametrize("bench", GENERIC)
def test_load_mirror(bench, loaded, mirror, pool):
    ds = loaded[bench]
    assert len(ds) == ROWS[bench]
    assert COLUMNS[bench] <= set(ds.column_names)
    assert "video_path" in ds.column_names
    for row in ds:
        p = Path(row["video_path"])
        assert p.is_absolute() and str(p).startswith(str(mirror / bench))
        assert utils(bench).doc_to_visual(row) == [row["video_path"]]
    assert [utils(bench).answer_key(r).gt for r in ds] == GT[bench]
    # broken videos: exactly the assigned ones; the 10-minute video where assigned
    sizes = {p.stat().st_size: n for n, p in pool.items() if p.exists()}
    used = [sizes.get(Path(r["video_path"]).stat().st_size) if Path(r["video_path"]).exists() else "missing" for r in ds]
    broken = [u for u in used if u in ("corrupt", "empty", "missing")]
    assert broken == ([BROKEN[bench]] if bench in BROKEN else [])
    assert ("v10min_2997fps_16x9" in used) == (bench in ("videomme", "mlvu", "longvideobench"))


def test_mvbench_one_dataset_over_subtasks(loaded):
    ds = loaded["mvbench"]
    assert len(set(ds["subtask"])) == 3
    assert set(ds["subtask"]) <= set(utils("mvbench").SUBTASKS)
    assert len(set(loaded["mlvu"]["task_type"])) == 2


# ---------------------------------------------------------------- prompts (docs/BENCHMARKS.md)

PROMPTS = {  # benchmark -> (fixture row, the text before the think post-prompt)
    "mvbench": (0, "Question:What happened after the person took the food?\nOption:\n(A) Ate the medicine.\n"
                   "(B) Tidied up the blanket.\n(C) Put down the cup/glass/bottle.\n(D) Took the box.\n"),
    "videomme": (1, "Select the best answer to the following multiple-choice question based on the video and the "
                    "subtitles. Respond with only the letter (A, B, C, or D) of the correct option.\n"
                    "What does the goalkeeper do right after the second shot on goal?\n"
                    "A. He catches the ball and throws it to a defender.\nB. He punches the ball over the bar.\n"
                    "C. He lets the ball through and argues with the referee.\nD. He kicks the ball up the pitch.\n"),
    "tempcompass": (1, "How does the speed of the camera movement change over the video?\n"
                       "A. It stays constant\nB. It speeds up\nC. It slows down"
                       "\n\nAnswer with the option's letter (e.g., A, B, C, D, etc.) from the given choices directly. "),
    "mlvu": (1, "What colour is the umbrella that appears in the video?\n(A) Red\n(B) Blue\n(C) Yellow\n(D) Black"),
    "longvideobench": (1, "What is the colour of the square that moves across the screen?\n"
                          "A. Black\nB. White\nC. Green\nD. Purple\nE. Orange\n"),
}


@pytest.mark.parametrize("bench", list(PROMPTS))
def test_prompt(loaded, bench):
    index, expected = PROMPTS[bench]
    assert utils(bench).doc_to_text(loaded[bench][index]) == expected + THINK_POST_PROMPT


def test_longvideobench_options_are_bare_texts(loaded):
    row = loaded["longvideobench"][1]
    assert utils("longvideobench").answer_key(row).options == ["Black", "White", "Green", "Purple", "Orange"]


# ---------------------------------------------------------------- scoring

@pytest.mark.parametrize("bench", GENERIC)
def test_process_results(bench, loaded):
    u = utils(bench)
    row = loaded[bench][0]
    key = u.answer_key(row)
    assert key.kind == "mc" and key.options and not any(o[:3] in ("A. ", "(A)") for o in key.options)
    assert THINK_POST_PROMPT not in key.question
    gt = key.gt
    wrong = "A" if gt != "A" else "B"

    right = u.process_results(row, [f"<think>Let me think.</think><answer>{gt}</answer>"])
    assert set(right) <= set(u.BENCHMARK.metrics) and {"videor2_acc", "errors"} <= set(right)
    always = ("videor2_acc", "reference_acc", "robust_acc", "errors")
    assert [k for k in right if k not in always] == [k for k, c in u.BENCHMARK.breakdown.items() if c == key.category]
    assert right["videor2_acc"]["score"] == 1.0 and right["videor2_acc"]["status"] == "ok"
    assert right["videor2_acc"]["ref_score"] == 1.0  # a bare letter: both scorings agree

    bad = u.process_results(row, [f"<think>hmm</think><answer>{wrong}</answer>"])["videor2_acc"]
    assert bad["score"] == 0.0 and bad["pred"] == wrong

    untagged = u.process_results(row, ["I am not sure about this one."])["videor2_acc"]
    assert untagged["score"] == 0.0 and untagged["status"] in ("no_answer_tag", "unparsable")
    assert u.process_results(row, [f"The answer is {gt}."])["videor2_acc"]["status"] == "no_answer_tag"
    none = u.process_results(row, ["<think>x</think><answer>no idea</answer>"])["videor2_acc"]
    assert none["status"] == "unparsable" and none["pred"] is None  # never a random letter

    err = u.process_results(row, [error_response("video_error", "x")])
    assert err["videor2_acc"]["status"] == "video_error" and err["videor2_acc"]["score"] == 0.0
    assert u.aggregate_errors([err["errors"], right["errors"], bad]) == 1


def test_mvbench_article_is_not_option_a(loaded):
    u = utils("mvbench")
    row = loaded["mvbench"][1]  # gt B; "a" must not read as A
    item = u.process_results(row, ["<answer>a cylinder and a cube are moving, so B</answer>"])["videor2_acc"]
    assert item["pred"] == "B" and item["score"] == 1.0
    item = u.process_results(row, ["<answer>a metal cylinder</answer>"])["videor2_acc"]
    assert item["pred"] is None and item["status"] == "unparsable"
    row = loaded["mvbench"][2]  # gt A: the answer "A" (a lone letter) still counts
    assert u.process_results(row, ["<answer>A</answer>"])["videor2_acc"]["score"] == 1.0


def _item(score, category, status="ok", ref="same"):
    return {"score": score, "ref_score": score if ref == "same" else ref, "category": category, "status": status}


def test_aggregation_macro_and_micro(monkeypatch):
    items = [_item(1, "action_sequence"), _item(0, "action_sequence"), _item(1, "moving_count"),
             _item(1, "moving_count"), _item(0, "moving_count"), _item(0, "action_antonym", "video_error")]
    # macro over subtasks: (50 + 66.67 + 0) / 3, both ways
    mv = utils("mvbench")
    assert mv.aggregate_robust_acc(items) == pytest.approx((50 + 200 / 3 + 0) / 3)
    assert mv.aggregate_reference_acc(items) == pytest.approx((50 + 200 / 3 + 0) / 3)
    assert mv.aggregate_sub_moving_count(items) == pytest.approx(200 / 3)
    assert mv.aggregate_errors(items) == 1
    # the reference leaves an empty MVBench answer out of its subtask (ref_score None)
    assert mv.aggregate_reference_acc(items + [_item(0, "action_sequence", ref=None)]) == pytest.approx(
        (50 + 200 / 3 + 0) / 3)
    types = [_item(1, "plotQA"), _item(0, "needle"), _item(0, "needle"), _item(0, "needle"), _item(1, "needle")]
    assert utils("mlvu").aggregate_robust_acc(types) == pytest.approx((100 + 25) / 2)
    # the reference divides by its 7 task types, absent ones counting 0 (mlvu_think L132-171)
    assert utils("mlvu").aggregate_reference_acc(types) == pytest.approx((100 + 25) / 7)
    for bench in ("videomme", "tempcompass", "longvideobench"):
        assert utils(bench).aggregate_robust_acc(types) == pytest.approx(40.0)
        assert utils(bench).aggregate_reference_acc(types) == pytest.approx(40.0)
    # videor2_acc follows VIDEOR2_SCORING (default reference)
    assert utils("mlvu").aggregate_videor2_acc(types) == pytest.approx(125 / 7)
    monkeypatch.setenv("VIDEOR2_SCORING", "robust")
    assert utils("mlvu").aggregate_videor2_acc(types) == pytest.approx(125 / 2)
    monkeypatch.setenv("VIDEOR2_SCORING", "paper")
    with pytest.raises(ValueError, match="VIDEOR2_SCORING"):
        utils("mlvu").aggregate_videor2_acc(types)


@pytest.mark.parametrize("bench", GENERIC)
def test_yaml(bench):
    from videor2.tasks.registry import task_files

    text = task_files()[f"videor2_{bench}.yaml"]

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("!function", lambda loader, node: loader.construct_scalar(node))
    cfg = yaml.load(text, Loader=Loader)
    assert cfg["task"] == f"videor2_{bench}" and cfg["class"] == "videor2.tasks.common.task.VideoR2Task"
    assert cfg["dataset_path"] == utils(bench).HUB_ID
    assert cfg["test_split"] == utils(bench).SPLIT
    names = [m["metric"] for m in cfg["metric_list"]]
    assert names == utils(bench).BENCHMARK.metrics
    assert not any("videor2_acc" in n for n in names[1:])
    for m in cfg["metric_list"]:
        module, _, fn = m["aggregation"].rpartition(".")
        assert module == f"videor2.tasks.{bench}.utils" and callable(getattr(utils(bench), fn))
        assert m["higher_is_better"] is (m["metric"] != "errors")
    for key in ("doc_to_visual", "doc_to_text", "doc_to_target", "process_results"):
        assert cfg[key] == f"videor2.tasks.{bench}.utils.{key}"
    assert cfg["generation_kwargs"]["until"] == ["<|im_end|>"] and cfg["reasoning_tags"] == "none"


def test_common_hub_helpers(tmp_path):
    from videor2.tasks.common import hub

    (tmp_path / "v").mkdir()
    (tmp_path / "v" / "a.MP4").write_bytes(b"")
    assert hub.resolve_video([tmp_path / "v" / "a"], ("mp4", "MP4")) == str((tmp_path / "v" / "a.MP4").resolve())
    assert hub.resolve_video([tmp_path / "v" / "b"], ("mp4", "MP4")) == str(tmp_path / "v" / "b.mp4")
    hub.write_parquet_config(tmp_path / "m", [{"a": 1}], "x/test.parquet", "x", "test")
    hub.write_parquet_config(tmp_path / "m", [{"a": 2}], "y/test.parquet", "y", "test")
    hub.write_parquet_config(tmp_path / "m", [{"a": 3}], "x/test2.parquet", "x", "test")  # replaces x/test
    assert hub.load_split(tmp_path / "m", "x", "test")["a"] == [3]
    assert hub.load_split(tmp_path / "m", "y", "test")["a"] == [2]
    agg = scoring.category_accuracy("c")  # by the reference score (the default scoring)
    assert agg([{"score": 0.0, "ref_score": 1.0, "category": "c"}, {"score": 0.0, "ref_score": 0.0, "category": "d"}]) == 100.0
    assert agg([{"score": 1.0, "ref_score": 1.0, "category": "d"}]) is None  # absent: JSON null, never NaN
