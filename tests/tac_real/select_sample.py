"""Draw the labelled sample of real outputs (ids only are committed; texts stay in ../shared/tac_dev).

Stratified by source repository and answer kind, seeded; split by repository into dev (tuning)
and test (held out). Bounding-box / click outputs (the two VLM-R1 repositories) are left out:
they carry no think conclusion a video QA benchmark would compare. A second, later draw (MORE) adds
dev items only. Run from the repository root:
    python tests/tac_real/select_sample.py > tests/tac_real/sample.jsonl
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

POOL = Path(__file__).resolve().parents[3] / "shared" / "tac_dev" / "pool.jsonl"
SEED = 20261201
# (repository, kind) -> how many; the split of each repository
PLAN = {
    "dev": {("fengzi258/Ocean-R1", "mc"): 70, ("fengzi258/Ocean-R1", "numeric"): 50, ("fengzi258/Ocean-R1", "open"): 15,
            ("shawnljn/CSE589Project_VideoRFT", "mc"): 60, ("shawnljn/CSE589Project_VideoRFT", "numeric"): 10,
            ("seahl0119/VideoChat-R1", "mc"): 45},
    "test": {("Jike338/xxx", "mc"): 100, ("longmalongma/TW-GRPO", "mc"): 60, ("Deep-Agent/R1-V", "numeric"): 30,
             ("Deep-Agent/R1-V", "open"): 20, ("JuncyLu/trl_DAPO", "mc"): 40},
}


# a second draw for dev (tuning), from what the first left; appended to sample.jsonl with its own seed so
# that the first draw and the held-out test split stay exactly as they were
SEED_MORE = 20261202
MORE = {"dev": {("fengzi258/Ocean-R1", "mc"): 60, ("fengzi258/Ocean-R1", "numeric"): 20, ("fengzi258/Ocean-R1", "open"): 10,
                ("shawnljn/CSE589Project_VideoRFT", "mc"): 40, ("seahl0119/VideoChat-R1", "mc"): 50}}

# a third dev draw, measured before any tuning on it (the within-source check of the second round)
SEED_THIRD = 20261203
THIRD = {"dev": {("fengzi258/Ocean-R1", "mc"): 40, ("fengzi258/Ocean-R1", "numeric"): 20, ("fengzi258/Ocean-R1", "open"): 10,
                 ("shawnljn/CSE589Project_VideoRFT", "mc"): 30, ("seahl0119/VideoChat-R1", "mc"): 40}}


def repository(source: str) -> str:
    return source.split("@")[0].removeprefix("github:")


def draw(rows: list[dict], plan: dict, seed: int, taken: set[str]) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for split, parts in plan.items():
        for (repo, kind), n in parts.items():
            pool = sorted((r for r in rows if repository(r["source"]) == repo and r["kind"] == kind
                           and r["id"] not in taken), key=lambda r: r["id"])
            for r in sorted(rng.sample(pool, n), key=lambda r: r["id"]):
                out.append({"id": r["id"], "split": split, "repository": repo, "kind": kind})
    return out


def main() -> None:
    rows = [json.loads(line) for line in POOL.read_text(encoding="utf-8").splitlines()]
    first = draw(rows, PLAN, SEED, set())
    more = draw(rows, MORE, SEED_MORE, {r["id"] for r in first})
    third = draw(rows, THIRD, SEED_THIRD, {r["id"] for r in first + more})
    for r in first + more + third:
        print(json.dumps(r))


if __name__ == "__main__":
    sys.exit(main())
