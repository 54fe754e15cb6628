"""`replay`: an lmms-eval model that answers from saved responses or a scripted policy.

- `responses=PATH`: a JSONL of {"task", "doc_id", "response"} (or lmms-eval sample logs'
  {"doc_id", "resps"} with `task=` given), re-scored under the suite: outputs generated
  elsewhere (a cluster, vLLM, another harness) get this harness's scoring and diagnostics.
- `policy=gt|wrong|none` (alias `answer=`) and `think=consistent|inconsistent|missing`: scripted
  think/answer text built from each document's answer key, for tests and demos.
Either way the video is checked first: a missing or undecodable video yields the `video_error`
marker, exactly as a real adapter reports it.
`counterfactual=` and `prompt=` are accepted like the real adapters' (models/variants.py) and change
nothing but the video check (none under `text_only`): replay never looks at the video, so its
video reliance is exactly 0, which the tests use.
"""

from __future__ import annotations

import json
from pathlib import Path

from lmms_eval.api.model import lmms
from tqdm import tqdm

from videor2.tasks.registry import benchmark
from videor2.errors import VideoError, error_response
from videor2.models.sampler import check_video
from videor2.models.variants import check_counterfactual, check_prompt_mode
from videor2.tasks.common.answers import LETTERS
from videor2.tasks.common.scoring import AnswerKey

ANSWER_POLICIES = ("gt", "wrong", "none")
THINK_POLICIES = ("consistent", "inconsistent", "missing")


def _wrong(key: AnswerKey):
    kind, gt = key.kind, key.gt
    if kind == "mc":
        n = max(len(key.options), 2)
        return LETTERS[(LETTERS.index(str(gt).upper()) + 1) % n]
    if kind == "numeric":
        return float(gt) * 3 + 7
    return "an answer that matches nothing"


def _fmt(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def scripted_response(key: AnswerKey, answer: str = "gt", think: str = "consistent") -> str:
    """A think/answer response for a document's answer key under a policy."""
    if answer not in ANSWER_POLICIES:
        raise ValueError(f"answer policy must be one of {ANSWER_POLICIES}, got {answer!r}")
    if think not in THINK_POLICIES:
        raise ValueError(f"think policy must be one of {THINK_POLICIES}, got {think!r}")
    final = key.gt if answer == "gt" else _wrong(key)
    concluded = final if think == "consistent" else (_wrong(key) if answer == "gt" else key.gt)
    lead = "the answer is option" if key.kind == "mc" else "the answer is"
    reasoning = (
        f"<think>Let me think. I watch the video carefully and compare what I see with the question. "
        f"Hmm, after checking again, {lead} {_fmt(concluded)}.</think>"
    )
    body = "" if answer == "none" else f"<answer>{_fmt(final)}</answer>"
    if answer == "none":
        body = "I am not sure."
    return (reasoning if think != "missing" else "") + body


class Replay(lmms):
    def __init__(self, responses: str | None = None, policy: str | None = None, answer: str | None = None,
                 think: str = "consistent", task: str | None = None, check_videos: bool = True,
                 counterfactual=None, prompt="think", **kwargs):
        super().__init__()
        self.set_variant(counterfactual, prompt)
        if responses and (policy or answer):
            raise ValueError("replay: give either responses=PATH or policy=..., not both")
        self.policy = answer or policy or (None if responses else "gt")
        self.think = think
        self.check_videos = str(check_videos).lower() not in ("false", "0", "no")
        self.responses: dict[tuple[str, str], str] = {}
        if responses:
            self.responses = self._load(Path(responses), task)

    def set_variant(self, counterfactual=None, prompt="think", log_dir=None) -> None:
        self.counterfactual = check_counterfactual(counterfactual)
        self.prompt_mode = check_prompt_mode(prompt)

    @staticmethod
    def _load(path: Path, default_task: str | None) -> dict[tuple[str, str], str]:
        if not path.exists():
            raise FileNotFoundError(f"replay: responses file not found: {path}")
        out = {}
        with path.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                row = json.loads(line)
                task = row.get("task") or default_task
                if task is None:
                    raise ValueError(f"replay: {path}:{n} has no 'task' (pass task=NAME for sample logs)")
                resp = row.get("response")
                if resp is None and "resps" in row:  # lmms-eval sample log
                    resp = row["resps"]
                    while isinstance(resp, list):
                        resp = resp[0] if resp else ""
                out[(task, str(row["doc_id"]))] = resp or ""
        return out

    def _respond(self, task: str, doc: dict, doc_id) -> str:
        if self.check_videos and self.counterfactual != "text_only":
            try:
                for video in doc["video_path"] if isinstance(doc["video_path"], list) else [doc["video_path"]]:
                    check_video(video)
            except VideoError as exc:
                return error_response("video_error", str(exc))
        if self.policy is None:
            resp = self.responses.get((task, str(doc_id)))
            if resp is None:
                return error_response("generation_error", f"no saved response for ({task}, {doc_id})")
            return resp
        key = benchmark(task).answer_key(doc)
        return scripted_response(key, self.policy, self.think)

    def generate_until(self, requests) -> list[str]:
        out = []
        for req in tqdm(requests, desc="replay", disable=self.rank != 0):
            _ctx, _gen_kwargs, _doc_to_visual, doc_id, task, split = req.args
            out.append(self._respond(task, self.task_dict[task][split][doc_id], doc_id))
        return out

    def generate_until_multi_round(self, requests) -> list[str]:
        return self.generate_until(requests)

    def loglikelihood(self, requests):
        raise NotImplementedError("replay only answers generation tasks")
