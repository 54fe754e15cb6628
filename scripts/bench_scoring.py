"""Parser sensitivity on real outputs: every benchmark's reference rule and the robust parser, side by side.

Scores every multiple-choice output of the real-output pool (../shared/tac_dev/pool.jsonl, outputs of
reasoning models from public evaluation logs) as if it came from each benchmark, and prints per
benchmark: accuracy under the reference scoring (the Video-R2 fork's rules) and under the robust
parser, their difference (robust - reference, points), and how many answers were untagged, not a
bare letter, or sent to the reference's random fallback (scored by its expected value).

    python scripts/bench_scoring.py [--pool PATH]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from videor2.tasks.common.answers import LETTERS
from videor2.tasks.common.scoring import AnswerKey, answer_item
from videor2.tasks.registry import BY_NAME

DEFAULT_POOL = Path(__file__).resolve().parents[2] / "shared" / "tac_dev" / "pool.jsonl"
MAX_OPTIONS = {"videomme": 4, "vsibench": 4, "scivideobench": 10, "videommmu": 10}  # else 5 (A-E)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pool", default=str(DEFAULT_POOL), help="JSONL of {response, options, answer, kind}")
    args = parser.parse_args(argv)
    pool = Path(args.pool)
    if not pool.is_file():
        parser.error(f"{pool} not found")
    rows = [r for r in map(json.loads, pool.read_text(encoding="utf-8").splitlines())
            if r["kind"] == "mc" and r["options"]]
    print(f"{len(rows)} multiple-choice outputs with options from {pool}")
    print(f"{'benchmark':<15}{'n':>6}{'reference':>11}{'robust':>9}{'robust-ref':>12}{'untagged':>10}"
          f"{'non-letter':>12}{'fallback':>10}")
    for bench, spec in BY_NAME.items():
        items = []
        for r in rows:
            if len(r["options"]) > MAX_OPTIONS.get(bench, 5):
                continue  # an item this benchmark could not have
            options = [str(o) for o in r["options"]]
            raw = [f"{LETTERS[i]}. {o}" for i, o in enumerate(options)] if bench == "vsibench" else None
            key = AnswerKey(kind="mc", gt=str(r["answer"]).strip().upper(), options=options, raw_options=raw)
            items.append(answer_item(key, r["response"], spec.reference))
        counted = [i for i in items if i.ref_score is not None]
        ref = 100 * sum(i.ref_score for i in counted) / len(counted)
        rob = 100 * sum(i.score for i in items) / len(items)
        flags = {f: sum(f in i.ref_flags for i in items) for f in ("untagged", "non_letter", "fallback")}
        print(f"{bench:<15}{len(items):>6}{ref:>11.1f}{rob:>9.1f}{rob - ref:>+12.1f}{flags['untagged']:>10}"
              f"{flags['non_letter']:>12}{flags['fallback']:>10}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
