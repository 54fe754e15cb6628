"""Draw the labelled sample of real outputs (ids only are committed; texts stay in ../shared/tac_dev).

Stratified by source repository and answer kind, seeded; split by repository into dev (tuning)
and test (held out). Bounding-box / click outputs (the two VLM-R1 repositories) are left out:
they carry no think conclusion a video QA benchmark would compare. Run from the repository root:
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


def repository(source: str) -> str:
    return source.split("@")[0].removeprefix("github:")


def main() -> None:
    rows = [json.loads(line) for line in POOL.read_text(encoding="utf-8").splitlines()]
    rng = random.Random(SEED)
    for split, plan in PLAN.items():
        for (repo, kind), n in plan.items():
            pool = sorted((r for r in rows if repository(r["source"]) == repo and r["kind"] == kind), key=lambda r: r["id"])
            for r in sorted(rng.sample(pool, n), key=lambda r: r["id"]):
                print(json.dumps({"id": r["id"], "split": split, "repository": repo, "kind": kind}))


if __name__ == "__main__":
    sys.exit(main())
