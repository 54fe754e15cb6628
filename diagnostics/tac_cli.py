"""`videor2 tac`: think-answer consistency and judged visual grounding over saved responses.

    videor2 tac --input OUT_DIR_OR_JSONL --judge rules|openai:URL[#MODEL]|vllm:MODEL|hf:PATH --output DIR

Input: an lmms-eval output folder (our tasks' sample logs) or a JSONL of
{benchmark, doc_id, question, options, answer, response} (answer = ground truth; optional kind =
mc|numeric|open, inferred otherwise), or a JSONL of saved records. Output: DIR/records.jsonl,
DIR/summary.json, DIR/summary.csv, DIR/judge_cache.jsonl (judge replies; a rerun sends nothing twice).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from videor2.jsonl import iter_jsonl
from videor2.lmms_logs import read_lmms_logs
from videor2.records import RecordLog, SampleRecord
from videor2.tasks.common.scoring import AnswerKey, answer_item
from videor2.tasks.registry import BY_NAME, benchmark_label


def add_arguments(p):
    p.add_argument("--input", required=True, help="lmms-eval output folder, or JSONL of responses / records")
    p.add_argument("--judge", default="rules", help="rules | openai:BASE_URL[#MODEL] | vllm:MODEL | hf:PATH, or rules+ one "
                                                    "of the last three (hybrid: the rules settle confident think "
                                                    "conclusions, the LLM the rest and the grounding score); default rules")
    p.add_argument("--output", required=True, help="output folder")
    p.add_argument("--resume", action="store_true", help="keep DIR/records.jsonl and skip the samples already in it")
    p.add_argument("--concurrency", type=int, default=16, help="openai: requests in flight (default 16)")
    p.add_argument("--timeout", type=float, default=60.0, help="openai: per-request timeout in seconds (default 60)")
    p.add_argument("--max-retries", type=int, default=6, help="openai: retries per request on 429/5xx/timeouts/drops")
    p.add_argument("--prompt-think", help="file overriding the think-conclusion prompt template")
    p.add_argument("--prompt-grounding", help="file overriding the visual-grounding prompt template")
    p.add_argument("--api-key-env", default="OPENAI_API_KEY", help="environment variable holding the API key")
    p.add_argument("--judge-extra", help='JSON merged into each openai request, e.g. \'{"chat_template_kwargs": {"enable_thinking": false}}\'')
    p.add_argument("--seed", type=int, default=0, help="judge sampling seed and bootstrap seed (default 0)")
    p.add_argument("--temperature", type=float, default=0.0, help="judge temperature (default 0)")
    p.add_argument("--n-boot", type=int, default=1000, help="bootstrap replicates for the 95%% intervals")
    p.add_argument("--model-name", default="", help="model name stored in the records")
    p.add_argument("--no-progress", action="store_true")


def _kind(row: dict) -> str:
    if row.get("kind") in ("mc", "numeric", "open"):
        return row["kind"]
    if row.get("options"):
        return "mc"
    ans = row.get("answer")
    if isinstance(ans, (int, float)) and not isinstance(ans, bool):
        return "numeric"
    try:
        float(str(ans).strip())
        return "numeric"
    except ValueError:
        return "open"


def record_from_row(row: dict, model: str = "") -> SampleRecord:
    kind = _kind(row)
    gt = row.get("answer")
    if kind == "numeric":
        gt = float(gt)
    elif kind == "mc":
        gt = str(gt).strip().upper()
    bench = benchmark_label(str(row["benchmark"]))
    if not bench:
        raise ValueError("empty benchmark name")
    key = AnswerKey(kind=kind, gt=gt, options=list(row.get("options") or []), question=row.get("question") or "",
                    category=row.get("category"))
    response = row.get("response") or ""
    rule = BY_NAME[bench].reference if bench in BY_NAME else None  # the paper's benchmarks: their reference rule
    return SampleRecord.from_scored(answer_item(key, response, rule), benchmark=bench, doc_id=row.get("doc_id"),
                                    model=model, response=response)


def load_input(path: str | Path, model: str = "") -> list[SampleRecord]:
    path = Path(path)
    if path.is_dir():
        return read_lmms_logs(path, model)
    if not path.is_file():
        raise FileNotFoundError(f"--input not found: {path}")
    out = []
    for n, row in enumerate(iter_jsonl(path), 1):
        if "ground_truth" in row and "answer_kind" in row:
            out.append(SampleRecord.from_dict(row))
        elif "benchmark" in row and "response" in row and "answer" in row:
            try:
                out.append(record_from_row(row, model))
            except ValueError as exc:
                raise ValueError(f"{path}:{n}: {exc}") from exc
        else:
            raise ValueError(f"{path}:{n}: expected {{benchmark, doc_id, question, options, answer, response}} "
                             f"or a saved record; got keys {sorted(row)}")
    return out


def run(args) -> int:
    from videor2.diagnostics.judge import JudgeUnavailable, make_judge
    from videor2.diagnostics.metrics import console_table
    from videor2.diagnostics.summary import summarize, tac_judge_note
    from videor2.diagnostics.tac import apply_tac

    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    try:
        records = load_input(args.input, args.model_name)
    except (FileNotFoundError, ValueError) as exc:
        print(f"videor2 tac: {exc}", file=sys.stderr)
        return 2
    log_path = out / "records.jsonl"
    if log_path.exists() and not args.resume:
        log_path.unlink()
    extra = None
    if args.judge_extra:
        try:
            extra = json.loads(args.judge_extra)
        except json.JSONDecodeError as exc:
            print(f"videor2 tac: --judge-extra is not JSON: {exc}", file=sys.stderr)
            return 2
    try:
        # check=False: the openai endpoint is probed lazily, right before the first request that the
        # cache cannot answer (so a fully cached rerun sends nothing), still before any real work.
        judge = make_judge(args.judge, cache=out / "judge_cache.jsonl", prompt_think=args.prompt_think,
                           prompt_grounding=args.prompt_grounding, concurrency=args.concurrency,
                           timeout=args.timeout, max_retries=args.max_retries, api_key_env=args.api_key_env,
                           extra_body=extra, seed=args.seed, temperature=args.temperature, check=False)
    except (JudgeUnavailable, ValueError, FileNotFoundError) as exc:
        print(f"videor2 tac: {exc}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    try:
        records = apply_tac(records, judge, log=RecordLog(log_path), progress=not args.no_progress)
    except JudgeUnavailable as exc:
        print(f"videor2 tac: {exc}", file=sys.stderr)
        return 2
    finally:
        judge.close()
    wall = time.perf_counter() - t0
    df = summarize(records, seed=args.seed, n_boot=args.n_boot)
    df.to_csv(out / "summary.csv", index=False)
    meta = {"input": str(args.input), "judge": judge.describe(), "n_records": len(records), "seed": args.seed,
            "n_boot": args.n_boot, "wall_s": round(wall, 3), "judge_stats": judge.stats.as_dict(),
            "grounding": "judged" if judge.has_grounding else "none (judge=rules: vas_judge is NaN)",
            "rows": json.loads(df.to_json(orient="records"))}
    (out / "summary.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
    print(console_table(df))
    print(tac_judge_note(df))
    s = judge.stats
    print(f"\njudge {judge.spec.split('#')[0]}: {len(records)} records, {s.requests} requests sent, "
          f"{s.cache_hits} cache hits, {s.retries} retries, {s.strict_retries} strict retries, "
          f"{s.rules_settled} think conclusions settled by the rules, "
          f"{int(df[df['group'] != 'average']['judge_errors'].sum())} samples with judge_error, {wall:.1f} s")
    if not judge.has_grounding:
        print("judge=rules: no visual-grounding score (vas_judge is NaN); use an LLM judge for VAS-judge.")
    print(f"wrote {log_path}, {out / 'summary.json'}, {out / 'summary.csv'}")
    return 0


if __name__ == "__main__":  # python -m videor2.diagnostics.tac_cli ...
    import argparse

    parser = argparse.ArgumentParser(prog="videor2 tac")
    add_arguments(parser)
    sys.exit(run(parser.parse_args()))
