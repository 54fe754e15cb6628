"""Counterfactual inputs and video reliance: the frame transforms, the direct prompt, what the tiny
model receives, the paired metrics, and diagnose runs with variants (replay and the tiny model)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from conftest import REPO, find_one, kill_once_written, run_lmms_eval
from videor2.diagnostics import metrics as M
from videor2.diagnostics.summary import summarize
from videor2.models.sampler import SampledVideo
from videor2.models.variants import (GREY, THINK_POST_PROMPT, _ANSWER_ONLY, apply_counterfactual, direct_text,
                                     shuffle_order)
from videor2.records import SampleRecord
from videor2.tasks.registry import BENCHMARKS, benchmark, task_name

DIAGNOSE = [sys.executable, str(REPO / "scripts" / "diagnose.py")]


def _video(n=8, h=4, w=6) -> SampledVideo:
    frames = np.stack([np.full((h, w, 3), 10 * i + 1, dtype=np.uint8) for i in range(n)])
    idx = list(range(0, 3 * n, 3))
    return SampledVideo(frames=frames, indices=idx, timestamps=[i / 30 for i in idx], sample_fps=2.0, source_fps=30.0,
                        duration=n / 10, num_source_frames=3 * n, size=(h, w), backend="pyav")


# ---------------------------------------------------------------- frame transforms

@pytest.mark.parametrize("variant", ["blank", "shuffle", "reverse", "static"])
def test_frame_counterfactuals_change_only_the_pixels(variant):
    real = _video()
    cf, info = apply_counterfactual(real, variant, task="videor2_mvbench", doc_id="3")
    assert cf.frames.shape == real.frames.shape and cf.frames.dtype == np.uint8
    assert (cf.indices, cf.timestamps, cf.sample_fps, cf.size) == (real.indices, real.timestamps, real.sample_fps, real.size)
    assert info["counterfactual"] == variant
    first = [int(f[0, 0, 0]) for f in cf.frames]  # frame i of the real video has value 10 i + 1
    if variant == "blank":
        assert (cf.frames == GREY).all()
    elif variant == "reverse":
        assert first == [71, 61, 51, 41, 31, 21, 11, 1]
    elif variant == "static":
        assert first == [41] * 8  # the middle frame (index 4 of 8)
    else:
        assert sorted(first) == [10 * i + 1 for i in range(8)] and first != sorted(first)
        assert first == [10 * i + 1 for i in info["frame_order"]]
    assert [int(f[0, 0, 0]) for f in real.frames] == [10 * i + 1 for i in range(8)]  # the input is untouched


def test_shuffle_is_seeded_by_task_doc_and_seed():
    order = shuffle_order(16, "videor2_mvbench", "7", seed=0)
    assert sorted(order) == list(range(16))
    assert shuffle_order(16, "videor2_mvbench", "7", seed=0) == order
    assert shuffle_order(16, "videor2_mvbench", 7, seed=0) == order  # doc ids compare as text
    assert shuffle_order(16, "videor2_mvbench", "8", seed=0) != order
    assert shuffle_order(16, "videor2_mlvu", "7", seed=0) != order
    assert shuffle_order(16, "videor2_mvbench", "7", seed=1) != order
    # the same permutation in another process with another hash salt
    code = "from videor2.models.variants import shuffle_order; print(shuffle_order(16, 'videor2_mvbench', '7', seed=0))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONHASHSEED": "123"}).stdout
    assert json.loads(out) == order


# ---------------------------------------------------------------- the direct prompt

def test_direct_prompt_of_every_benchmark(fixture_mirror):
    from videor2.tasks.common.task import load_benchmark

    think_words = THINK_POST_PROMPT.strip()[:40]
    for name in BENCHMARKS:
        bench = benchmark(name)
        for doc in load_benchmark(name, fixture_mirror):
            context, key = bench.prompt(doc), bench.answer_key(doc)
            direct = direct_text(context, key.kind, key.question)
            assert think_words not in direct and "<think>" not in direct, name
            assert _ANSWER_ONLY.search(direct), (name, direct[-200:])
            assert direct.startswith(bench.question_text(doc)), name  # the question itself is unchanged


def test_direct_prompt_adds_an_instruction_only_where_none_is():
    assert direct_text("Question: x?\n(A) a\n(B) b\n" + THINK_POST_PROMPT) == (
        "Question: x?\n(A) a\n(B) b\nAnswer with the option's letter from the given choices directly.")
    has = "Respond with only the letter (A, B, C, or D) of the correct option.\nq\nA. a\n"
    assert direct_text(has + THINK_POST_PROMPT) == has
    assert direct_text("How many chairs?" + THINK_POST_PROMPT, "numeric").endswith("a single word or phrase.")


# ---------------------------------------------------------------- what the tiny model receives

@pytest.fixture(scope="module")
def tiny_backend():
    from videor2.models.hf_backend import TransformersBackend
    from videor2.models.tiny import default_tiny_model

    return TransformersBackend(str(default_tiny_model()), dtype="float32", attn_implementation="sdpa")


def test_tiny_model_receives_other_pixels_at_the_same_video_tokens(tiny_backend, fixture_mirror):
    from videor2.models import requests as rq
    from videor2.models.profiles import get_profile
    from videor2.tasks.common.task import load_benchmark

    doc = load_benchmark("tempcompass", fixture_mirror)[0]
    bench = benchmark("tempcompass")
    real = rq.scoring_request(get_profile("video_r2"), "paper", task=task_name("tempcompass"), doc_id=0,
                              context=bench.prompt(doc), key=bench.answer_key(doc), video_path=doc["video_path"])
    base = tiny_backend.inputs([real])
    video_token = tiny_backend.video_token_id
    for variant in ("blank", "shuffle"):
        cf = rq.scoring_request(get_profile("video_r2"), "paper", task=task_name("tempcompass"), doc_id=0,
                                context=bench.prompt(doc), key=bench.answer_key(doc), video_path=doc["video_path"])
        cf.video, _ = apply_counterfactual(cf.video, variant, task=cf.task, doc_id=cf.doc_id)
        got = tiny_backend.inputs([cf])
        assert got["input_ids"].equal(base["input_ids"]), variant  # same tokens, so same video positions
        assert (got["input_ids"] == video_token).sum() > 0
        assert got["video_grid_thw"].equal(base["video_grid_thw"])
        assert got["pixel_values_videos"].shape == base["pixel_values_videos"].shape
        assert not got["pixel_values_videos"].equal(base["pixel_values_videos"]), variant
    text_only = rq.scoring_request(get_profile("video_r2"), "paper", task=task_name("tempcompass"), doc_id=0,
                                   context=bench.prompt(doc), key=bench.answer_key(doc), video_path=doc["video_path"])
    text_only.text_only = True
    got = tiny_backend.inputs([text_only])
    assert (got["input_ids"] == video_token).sum() == 0 and "pixel_values_videos" not in got
    assert "<|vision_start|>" not in tiny_backend.prompt(text_only)
    from videor2.models.vllm_backend import vllm_inputs

    assert vllm_inputs(text_only, tiny_backend.processor) == {"prompt": tiny_backend.prompt(text_only)}
    shuffled = vllm_inputs(cf, tiny_backend.processor)  # the vLLM backend gets the shuffled frames as they are
    assert shuffled["multi_modal_data"]["video"] is cf.video.frames and shuffled["prompt"] == tiny_backend.prompt(real)


# ---------------------------------------------------------------- paired metrics

def _rec(doc, real_score, pred, variants, status="ok"):
    return SampleRecord(benchmark="tempcompass", doc_id=doc, pred=pred, score=real_score, ref_score=real_score,
                        status=status, variants=variants)


def test_reliance_metrics_are_paired_per_sample():
    recs = [
        _rec(0, 1.0, "A", {"blank": {"pred": "B", "ref_score": 0.0}, "shuffle": {"pred": "A", "ref_score": 1.0}}),
        _rec(1, 1.0, "C", {"blank": {"pred": "C", "ref_score": 1.0}, "shuffle": {"pred": "D", "ref_score": 0.0}}),
        _rec(2, 0.0, "B", {"blank": {"pred": "A", "ref_score": 1.0}}),
        # not a pair: the variant failed, or the real run did
        _rec(3, 1.0, "A", {"blank": {"pred": None, "ref_score": 0.0, "status": "video_error"}}),
        _rec(4, 0.0, None, {"blank": {"pred": "A", "ref_score": 1.0}}, status="video_error"),
        _rec(5, 1.0, "D", {}),  # outside the variant subsample
    ]
    row = summarize(recs).set_index("benchmark").loc["tempcompass"]
    assert row["cf_n"] == 3
    assert row["acc_cf_real"] == pytest.approx(200 / 3)
    assert row["acc_blank"] == pytest.approx(200 / 3) and row["video_reliance"] == pytest.approx(0.0)
    assert row["acc_shuffle"] == pytest.approx(50.0) and row["order_sensitivity"] == pytest.approx(50.0)
    assert row["flip_blank"] == pytest.approx(200 / 3) and row["flip_shuffle"] == pytest.approx(50.0)
    assert row["answer_fixed_no_video"] == pytest.approx(100 / 3)  # only doc 1 keeps its answer on blank frames
    assert row["video_reliance_lo"] <= row["video_reliance"] <= row["video_reliance_hi"]
    assert math.isnan(row["vas_attention_cf_real"])  # no attention recorded: missing, not 0
    assert math.isnan(row["think_gain"]) and math.isnan(row["acc_text_only"])  # not run: missing, not 0


def test_the_readme_worked_example():
    real, truth, blank = "ABCD", "ABCA", "ABDD"
    recs = [_rec(i, float(r == t), r, {"blank": {"pred": b, "ref_score": float(b == t)}})
            for i, (r, t, b) in enumerate(zip(real, truth, blank))]
    row = summarize(recs).set_index("benchmark").loc["tempcompass"]
    assert (row["acc_cf_real"], row["acc_blank"], row["video_reliance"]) == (75.0, 50.0, 25.0)
    assert (row["flip_blank"], row["answer_fixed_no_video"]) == (25.0, 75.0)


def test_variant_vas_is_compared_on_the_same_samples():
    from videor2.records import VasStats

    paired = _rec(0, 1.0, "A", {"blank": {"pred": "A", "ref_score": 1.0, "vas_attention": 20.0}})
    paired.vas_attention = VasStats(mean=30.0)
    alone = _rec(1, 1.0, "A", {})
    alone.vas_attention = VasStats(mean=90.0)
    row = summarize([paired, alone]).set_index("benchmark").loc["tempcompass"]
    assert (row["vas_attention"], row["vas_attention_cf_real"], row["vas_attention_blank"]) == (60.0, 30.0, 20.0)


def test_no_variants_leave_the_reliance_columns_empty():
    row = summarize([_rec(0, 1.0, "A", {})]).set_index("benchmark").loc["tempcompass"]
    assert row["cf_n"] == 0
    for name in ("acc_cf_real", "acc_blank", "video_reliance", "flip_blank", "answer_fixed_no_video"):
        assert math.isnan(row[name]), name
    assert not M.has_variants(summarize([_rec(0, 1.0, "A", {})]))


# ---------------------------------------------------------------- diagnose with variants

def diagnose(*args, cwd, check=True):
    proc = subprocess.run([*DIAGNOSE, *args], cwd=cwd, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    if check:
        assert proc.returncode == 0, proc.stderr[-4000:]
    return proc


@pytest.mark.slow
def test_replay_ignores_the_video_so_its_reliance_is_zero(tmp_path):
    run = tmp_path / "replay"
    proc = diagnose("--model", "replay", "--model-args", "policy=gt,think=inconsistent", "--data", "fixtures",
                    "--counterfactual", "blank,shuffle,text_only", "--ablate-prompt", "--out", str(run), cwd=tmp_path)
    s = pd.read_csv(run / "summary.csv").set_index("benchmark")
    for name in BENCHMARKS:
        assert s.loc[name, "cf_n"] > 0, name
        for metric in ("video_reliance", "order_sensitivity", "think_gain", "flip_blank", "flip_shuffle",
                       "flip_text_only", "flip_direct"):
            assert s.loc[name, metric] == 0.0, (name, metric)
        assert s.loc[name, "answer_fixed_no_video"] == 100.0
    assert s.loc["Overall", "video_reliance"] == 0.0
    assert "Video reliance" in proc.stdout
    html = (run / "index.html").read_text()
    assert 'id="reliance-table"' in html and 'id="fig-heatmap_flip"' in html and 'id="answer-fixed"' in html
    # text_only answers even the documents whose video is broken; those pairs do not count
    assert s.loc["mvbench", "cf_n"] == s.loc["mvbench", "n"] - s.loc["mvbench", "errors"]
    info = json.loads((run / "run_info.json").read_text())
    assert info["variants"] == ["blank", "shuffle", "text_only", "direct"]


@pytest.mark.slow
def test_variant_limit_and_bad_arguments(tmp_path):
    run = tmp_path / "limited"
    diagnose("--model", "replay", "--data", "fixtures", "--tasks", "videor2_vsibench,videor2_minerva",
             "--counterfactual", "blank", "--counterfactual-limit", "2", "--out", str(run), cwd=tmp_path)
    lines = (run / "variants" / "blank" / "generation.jsonl").read_text().splitlines()
    assert sorted((json.loads(x)["benchmark"], json.loads(x)["doc_id"]) for x in lines) == [
        ("minerva", "0"), ("minerva", "1"), ("vsibench", "0"), ("vsibench", "1")]
    bad = diagnose("--model", "replay", "--data", "fixtures", "--counterfactual", "noise", "--out",
                   str(tmp_path / "bad"), cwd=tmp_path, check=False)
    assert bad.returncode == 2 and "unknown counterfactual noise" in bad.stderr
    bad = diagnose("--model", "replay", "--data", "fixtures", "--counterfactual-limit", "2", "--out",
                   str(tmp_path / "bad2"), cwd=tmp_path, check=False)
    assert bad.returncode == 2 and "needs --counterfactual" in bad.stderr


@pytest.mark.slow
def test_killed_run_with_variants_resumes_without_redoing_documents(tmp_path):
    args = ["--tasks", "videor2_tempcompass,videor2_videomathqa", "--limit", "2", "--max-new-tokens", "6",
            "--chunk", "1", "--counterfactual", "blank,shuffle"]
    run = tmp_path / "run"
    blank = run / "variants" / "blank" / "generation.jsonl"
    kill_once_written([*DIAGNOSE, *args, "--out", str(run)], tmp_path, blank)
    finished = {(json.loads(x)["benchmark"], json.loads(x)["doc_id"]) for x in blank.read_text().splitlines()}
    assert 1 <= len(finished) < 4
    diagnose(*args, "--out", str(run), "--resume", cwd=tmp_path)
    for variant in ("blank", "shuffle"):
        recs = [json.loads(x) for x in (run / "variants" / variant / "generation.jsonl").read_text().splitlines()]
        assert len(recs) == 4 and len({(r["benchmark"], r["doc_id"]) for r in recs}) == 4
    # the adapter logs every generation it makes: a document finished before the kill was not generated again
    made = [json.loads(x) for x in (run / "variants" / "blank" / "model_logs" / "generation.jsonl").read_text().splitlines()]
    counts = {}
    for m in made:
        key = (m["task"].removeprefix("videor2_"), str(m["doc_id"]))
        counts[key] = counts.get(key, 0) + 1
        assert m["counterfactual"] == "blank" and m["rounds"][0]["frames"]["counterfactual"] == "blank"
    assert all(counts[k] == 1 for k in finished), counts
    s = pd.read_csv(run / "summary.csv").set_index("benchmark")
    assert s.loc["tempcompass", "cf_n"] == 2 and not math.isnan(s.loc["tempcompass", "vas_attention_blank"])


@pytest.mark.slow
def test_adapter_option_through_the_lmms_eval_cli(tmp_path, fixture_mirror):
    from videor2.models.tiny import default_tiny_model

    out = tmp_path / "out"
    proc = run_lmms_eval(["--tasks", "videor2_tempcompass", "--model", "video_r2", "--model_args",
                          f"pretrained={default_tiny_model()},max_new_tokens=4,counterfactual=shuffle,prompt=direct",
                          "--limit", "1", "--output_path", str(out), "--log_samples"], cwd=tmp_path,
                         env_extra={"VIDEOR2_DATA": str(fixture_mirror)})
    log = json.loads(find_one(out, "generation.jsonl").read_text().splitlines()[0])
    assert (log["counterfactual"], log["prompt_mode"]) == ("shuffle", "direct"), proc.stderr[-2000:]
    frames = log["rounds"][0]["frames"]
    assert frames["counterfactual"] == "shuffle" and sorted(frames["frame_order"]) == list(range(frames["count"]))
    assert THINK_POST_PROMPT.strip()[:40] not in log["prompt"] and "directly" in log["prompt"]
