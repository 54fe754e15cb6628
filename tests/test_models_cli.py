"""Each registered reasoning model through the real `lmms-eval` CLI, on the tiny checkpoint."""

from __future__ import annotations

import json

import pytest

from conftest import find_one, run_lmms_eval
from videor2.tasks.registry import BENCHMARKS, task_name
from videor2.models.profiles import R1_SUFFIXES, R1_THINK_TEMPLATE, VIDEOCHAT_GLUE_PROMPT
from videor2.tasks.common.prompts import SYSTEM_PROMPT, THINK_POST_PROMPT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_dir():
    from videor2.models.tiny import default_tiny_model

    return str(default_tiny_model())


def _run(tmp_path, mirror, model, model_args, tasks="videor2_suite", limit=2):
    out = tmp_path / "out"
    proc = run_lmms_eval(["--tasks", tasks, "--model", model, "--model_args", model_args, "--limit", str(limit),
                          "--output_path", str(out), "--log_samples", "--verbosity", "WARNING"],
                         cwd=tmp_path, env_extra={"VIDEOR2_DATA": str(mirror)})
    results = sorted(out.rglob("*_results.json"))
    assert results, f"no results for {model}\n{proc.stderr[-4000:]}"
    return json.loads(results[-1].read_text()), out


def _samples(out, bench):
    return [json.loads(line) for line in find_one(out, f"*_samples_{task_name(bench)}.jsonl").read_text().splitlines()]


def _generation_log(out):
    return [json.loads(line) for line in (out / "videor2" / "generation.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("model", ["video_r2", "video_r1", "videorft", "videochat_r1_5", "qwen2_5_vl_cot"])
def test_model_runs_the_suite_with_its_exact_prompt(tmp_path, fixture_mirror, tiny_dir, model):
    # the default protocol is `paper` for every model: the task prompt, no answer-type suffix;
    # video_r2 runs it in full (128 frames); the others cap frames to keep CI short
    # ... and records attention (one sidecar per answered sample)
    extra = ",record_attention=true" if model == "video_r2" else ",max_num_frames=16"
    results, out = _run(tmp_path, fixture_mirror, model, f"pretrained={tiny_dir},max_new_tokens=16{extra}")
    for bench in BENCHMARKS:
        assert results["n-samples"][task_name(bench)]["effective"] == 2, bench
        for row in _samples(out, bench):
            item, prompt = row["videor2_acc"], row["input"]
            raw = row.get("resps", row["filtered_resps"])
            assert isinstance(raw, str)
            if item["status"] == "video_error":
                assert raw.startswith("[videor2:video_error]")
                continue
            # the exact chat prompt the model read: system turn, video, question, think post-prompt
            assert prompt.startswith(f"<|im_start|>system\n{SYSTEM_PROMPT}<|im_end|>\n<|im_start|>user\n"
                                     "<|vision_start|><|video_pad|><|vision_end|>")
            assert prompt.endswith("<|im_end|>\n<|im_start|>assistant\n")
            # MMVU's own templates: multiple choice ends in one more sentence, open-ended asks for no thinking
            tails = (("</answer> tags.\n", "Directly output the final answer.\n") if bench == "mmvu"
                     else (THINK_POST_PROMPT,))
            assert prompt.endswith(tuple(t + "<|im_end|>\n<|im_start|>assistant\n" for t in tails)), prompt[-300:]
    # the empty VSI-Bench video is an explicit error, not a crash
    assert results["results"][task_name("vsibench")]["errors,none"] == 1
    log = _generation_log(out)
    assert len(log) == 2 * len(BENCHMARKS)
    by_status = {e["status"] for e in log}
    assert by_status <= {"ok", "truncated", "video_error"} and "video_error" in by_status
    for e in log:
        if e["status"] == "video_error":
            continue
        frames = e["rounds"][-1]["frames"]
        assert frames["count"] == (128 if model == "video_r2" else 16)  # paper: exactly max_num_frames
        if model == "video_r2" and frames["duration"] > 300:
            assert frames["size"] == [280, 504]  # 10-min 16:9 clip
            assert abs(frames["sample_fps"] - 128 / frames["duration"]) < 1e-6  # stage 1's fps
        assert e["rounds"][-1]["n_tokens"] <= 16
    if model == "video_r2":
        _check_attention_sidecars(out, log)


def _check_attention_sidecars(out, log):
    from videor2.diagnostics.vas_store import read_sidecar, sidecar_path

    att = out / "videor2" / "attention"
    index = {(e["task"], str(e["doc_id"])): e for e in map(json.loads, (att / "index.jsonl").read_text().splitlines())}
    assert len(index) == len(log)  # every sample accounted for
    for e in log:
        entry = index[(e["task"], str(e["doc_id"]))]
        path = sidecar_path(att, e["task"], e["doc_id"])
        if e["status"] == "video_error":
            assert entry["status"] == "video_error" and entry["reason"] and not path.exists()
            continue
        n = e["rounds"][-1]["n_tokens"]
        if n == 0:
            assert entry["status"] == "empty_response" and not path.exists()
            continue
        side = read_sidecar(path)
        assert len(side["video"]) == n
        total = side["video"] + side["text"] + side["generated"]
        assert abs(total - 100).max() < 0.1  # float16 storage
        meta = side["meta"]
        assert meta["n_video_tokens"] > 0 and meta["video_positions"] and len(meta["response_ids"]) == n
        assert meta["stats"]["n_tokens"] == n and entry["status"] == "ok"


def test_native_video_r1_prompt_is_its_own_template_and_suffix(tmp_path, fixture_mirror, tiny_dir):
    _, out = _run(tmp_path, fixture_mirror, "video_r1", f"pretrained={tiny_dir},max_new_tokens=8,protocol=native",
                  tasks="videor2_videomme,videor2_vsibench", limit=2)
    for bench in ("videomme", "vsibench"):
        for row in _samples(out, bench):
            item = row["videor2_acc"]
            if item["status"] == "video_error":
                continue
            tail = "\n" + R1_THINK_TEMPLATE + R1_SUFFIXES[item["kind"]] + "<|im_end|>\n<|im_start|>assistant\n"
            assert row["input"].endswith(tail), row["input"][-400:]
    for e in _generation_log(out):
        if e["status"] != "video_error":
            frames = e["rounds"][-1]["frames"]
            assert frames["count"] <= 16 and frames["size"][0] * frames["size"][1] <= 105369
            assert e["rounds"][-1]["sampling"]["temperature"] == 0.1 and e["rounds"][-1]["sampling"]["repetition_penalty"] == 1.0


def test_videochat_iterative_perception_keeps_every_round(tmp_path, fixture_mirror, tiny_dir):
    _, out = _run(tmp_path, fixture_mirror, "videochat_r1_5",
                  f"pretrained={tiny_dir},max_new_tokens=16,max_num_frames=8,perception_rounds=2,protocol=native",
                  tasks="videor2_mvbench,videor2_minerva", limit=1)
    log = _generation_log(out)
    assert len(log) == 2
    for e in log:
        assert [r["round"] for r in e["rounds"]] == [1, 2]
        first, last = e["rounds"]
        head = VIDEOCHAT_GLUE_PROMPT.partition("[QUESTION]")[0]
        assert head in first["prompt"] and "<glue> </glue>" in first["prompt"]
        assert THINK_POST_PROMPT not in first["prompt"] + last["prompt"]  # its own prompts, not the task's
        final_end = "The option is: " if e["task"] == "videor2_mvbench" else "For example: <answer>A</answer>.\n"
        assert last["prompt"].endswith(final_end + "<|im_end|>\n<|im_start|>assistant\n"), last["prompt"][-300:]
        assert "output" in first and "output" in last  # every round's raw output is logged
        assert abs(first["frames"]["count"] - last["frames"]["count"]) <= 2  # about the same frames
