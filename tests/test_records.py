"""Record logs survive a writer killed mid-line: the next append starts on a new line."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap

from videor2.records import RecordLog, SampleRecord, read_records

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
    assert [r.doc_id for r in records] == [0, 1, 2, 3, 4]
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
