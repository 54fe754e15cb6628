"""Records: typed satellites that round-trip through JSON, one builder from a scored item, natural
doc_id order; record logs survive a writer killed mid-line (the next append starts on a new line)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap

import pytest

from videor2.errors import error_response
from videor2.records import JudgeVerdict, RecordLog, SampleRecord, VasStats, natural_key, read_records
from videor2.tasks.common.scoring import AnswerKey, ScoredItem, answer_item

WRITER = textwrap.dedent("""
    import json, os, signal, sys
    from videor2.records import RecordLog, SampleRecord
    from videor2.jsonl import open_append
    path = sys.argv[1]
    RecordLog(path).append(SampleRecord("mvbench", i, response="x" * 50) for i in range(3))
    torn = json.dumps(SampleRecord("mvbench", 3, response="y" * 5000).to_dict())
    fh = open_append(path)
    fh.write(torn[: len(torn) // 2])  # killed half-way through the 4th record
    fh.flush()
    os.kill(os.getpid(), signal.SIGKILL)
""")


def test_append_after_a_writer_killed_mid_line(tmp_path):
    path = tmp_path / "records.jsonl"
    proc = subprocess.run([sys.executable, "-c", WRITER, str(path)], capture_output=True, text=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert not path.read_text().endswith("\n")  # the torn line is really there

    log = RecordLog(path)  # resume: the three complete records count as done, the torn one does not
    assert {k for k in log.done} == {("mvbench", "0"), ("mvbench", "1"), ("mvbench", "2")}
    assert ("mvbench", 3) not in log
    log.append([SampleRecord("mvbench", 3, response="redone"), SampleRecord("mvbench", 4)])

    records = read_records(path)
    assert [r.doc_id for r in records] == ["0", "1", "2", "3", "4"]  # ids are strings in keys and files
    assert records[3].response == "redone"
    lines = path.read_text().splitlines()
    assert len(lines) == 6  # 3 complete, the torn one alone on its line, 2 new
    assert lines[3].startswith("{") and not lines[3].endswith("}")
    assert json.loads(lines[4])["response"] == "redone"


def test_append_to_a_clean_file_adds_no_blank_line(tmp_path):
    path = tmp_path / "r.jsonl"
    RecordLog(path).append([SampleRecord("mlvu", 0)])
    RecordLog(path).append([SampleRecord("mlvu", 1)])
    assert path.read_text().count("\n") == 2 and "\n\n" not in path.read_text()


def test_doc_ids_sort_naturally():
    ids = ["10", "2", "1", "q10", "q2", "q1", "2_b", "2_a"]
    assert sorted(ids, key=natural_key) == ["1", "2", "2_a", "2_b", "10", "q1", "q2", "q10"]
    assert SampleRecord("mvbench", 7).doc_id == "7" and SampleRecord("mvbench", 7).key == ("mvbench", "7")


def test_typed_satellites_round_trip_through_json():
    rec = SampleRecord("vsibench", 3, vas_attention={"n_tokens": 4, "mean": 12.5, "think": {"n_tokens": 3, "mean": 10.0},
                                                     "sidecar": "a/3.npz"},
                       judge={"spec": "openai:x", "status": "ok", "grounding": {"score": 7.0, "rationale": "r"}})
    assert isinstance(rec.vas_attention, VasStats) and rec.vas_attention.think.mean == 10.0
    assert rec.vas_attention.answer.n_tokens == 0 and rec.vas_attention.answer.mean is None
    assert isinstance(rec.judge, JudgeVerdict) and rec.judge.grounding_score == 7.0
    back = SampleRecord.from_dict(json.loads(json.dumps(rec.to_dict())))
    assert back == rec
    # a bare {"score", "rationale"} grounding verdict reads as the same typed verdict
    assert SampleRecord("mlvu", 0, judge={"score": 4, "rationale": "x"}).judge.grounding == {"score": 4, "rationale": "x"}


@pytest.mark.parametrize("response,status,correct", [
    ("<think>it is B</think><answer>B</answer>", "ok", True),
    ("<think>hard to say</think>", "ok", False),        # nothing parsable: scored wrong, not a failed sample
    (error_response("video_error", "cannot decode"), "video_error", False),
])
def test_one_builder_from_a_scored_item(response, status, correct):
    key = AnswerKey(kind="mc", gt="B", options=["x", "y"], question="Q?", category="c")
    item = answer_item(key, response)
    rec = SampleRecord.from_scored(item, benchmark="mvbench", doc_id=5, response=response, model="m")
    assert (rec.status, rec.correct, rec.doc_id, rec.category, rec.options) == (status, correct, "5", "c", ["x", "y"])
    assert rec.error == item.error and rec.think == {"<think>it is B</think><answer>B</answer>": "it is B",
                                                    "<think>hard to say</think>": "hard to say"}.get(response)
    # the sample-log form of the item reads back to the same item
    assert ScoredItem.from_dict(json.loads(json.dumps(item.to_dict()))) == item


def test_answer_key_rejects_an_unknown_kind():
    with pytest.raises(ValueError, match="unknown answer kind"):
        AnswerKey(kind="yesno", gt="yes")
