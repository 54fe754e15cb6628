"""`videor2 diagnose` / `python scripts/diagnose.py`: one model through the whole harness.

Stages, each writing its files before the next starts (all under --out):
  1. generation  lmms-eval in-process, task by task in chunks of documents; each finished chunk's
                 records are appended to generation*.jsonl. The reasoning adapters record
                 attention during generation (model_logs/attention/<task>/<doc>.npz).
  2. attention   per-sample VAS statistics from those sidecars; with --from-logs (outputs made
                 elsewhere, e.g. by vLLM) and --pretrained, by teacher forcing instead.
     With --counterfactual/--ablate-prompt, the same documents (or the first --counterfactual-limit
                 of each benchmark) again under each variant, into variants/<name>/ (same files).
  3. judge       think-answer consistency and judged grounding (rules or an LLM judge);
                 finished records are appended to records.jsonl.
  4. report      summary.csv, samples.csv/jsonl, figures/, index.html (variants joined per sample:
                 the Video reliance section).
Kill it anywhere and rerun with --resume: finished documents are never redone.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from videor2.jsonl import iter_jsonl
from videor2.models.profiles import DEFAULT_PROTOCOL, PROTOCOLS
from videor2.models.variants import COUNTERFACTUALS
from videor2.paths import DATA_ENV, use_data_root
from videor2.records import RecordLog, SampleRecord, VasStats, read_records
from videor2.tasks.registry import GROUP_TASKS, benchmark, benchmark_of, task_name

DEFAULT_MODEL = "video_r2"


class DiagnoseError(RuntimeError):
    """A problem found before work starts (bad model, data, judge or output folder)."""


def add_arguments(parser) -> None:
    parser.description = __doc__.split("\n\n")[0]
    parser.epilog = ("Example: python scripts/diagnose.py --model video_r2 --pretrained MBZUAI/Video-R2 "
                     "--judge openai:http://127.0.0.1:8000/v1#Qwen/Qwen3-Next-80B-A3B-Instruct --out reports/video_r2")
    g = parser.add_argument_group("model")
    g.add_argument("--model", default=None,
                   help=f"lmms-eval model name (video_r2, video_r1, videorft, videochat_r1_5, qwen2_5_vl_cot, replay); "
                        f"default: {DEFAULT_MODEL} on the embedded tiny checkpoint")
    g.add_argument("--pretrained", default=None, help="checkpoint: hub id or local folder (default: the profile's hub id; "
                                                      "the tiny checkpoint when --model is not given)")
    g.add_argument("--protocol", default=DEFAULT_PROTOCOL, choices=PROTOCOLS,
                   help="paper (default): the Video-R2 evaluation fork exactly; unified: the same without duplicated "
                        "frames; native: each model's own published settings (docs/PROTOCOLS.md)")
    g.add_argument("--model-args", default="", help="extra lmms-eval model_args, e.g. 'backend=vllm,dtype=bf16'")
    g.add_argument("--max-new-tokens", type=int, default=None, help="override the tasks' max_new_tokens")
    g.add_argument("--batch-size", type=int, default=1)
    g.add_argument("--device", default=None)
    g.add_argument("--no-frame-cache", action="store_true", help="decode every video afresh (frame_cache=off)")
    d = parser.add_argument_group("data")
    d.add_argument("--tasks", default="videor2_suite", help="videor2_suite, videor2_generic, videor2_reasoning or a comma list")
    d.add_argument("--limit", type=int, default=None, help="at most N documents per benchmark")
    d.add_argument("--data", default=None, help="local mirror folder (as VIDEOR2_DATA), or 'fixtures' for the generated "
                                                "offline mirror; default: $VIDEOR2_DATA, else fixtures for the tiny default, else the hub")
    d.add_argument("--from-logs", default=None, help="skip generation: read an lmms-eval output folder (--log_samples)")
    d.add_argument("--shard", default=None, help="i/N: generate only the i-th of N contiguous parts of every benchmark")
    s = parser.add_argument_group("diagnostics")
    s.add_argument("--judge", default="rules", help="rules | openai:BASE_URL[#MODEL] | vllm:MODEL | hf:PATH, or rules+ "
                                                    "one of the last three (hybrid: rules settle confident think "
                                                    "conclusions, the LLM judges the rest)")
    s.add_argument("--no-attention", action="store_true", help="do not record attention (no VAS-attention)")
    s.add_argument("--no-judge", action="store_true", help="skip think-answer consistency and judged grounding")
    s.add_argument("--attention-layers", default="-1", help="decoder layers for VAS (default -1: the last)")
    s.add_argument("--chunk", type=int, default=4, help="documents per generation chunk (the resume granularity)")
    c = parser.add_argument_group("video reliance (README: Does the reasoning need the video?)")
    c.add_argument("--counterfactual", default="", metavar="LIST",
                   help=f"comma list of frame counterfactuals to run beside the real video: {', '.join(COUNTERFACTUALS)} "
                        f"(one extra generation pass each)")
    c.add_argument("--ablate-prompt", action="store_true",
                   help="also run the direct prompt (no think post-prompt, the answer only) on the same frames")
    c.add_argument("--counterfactual-limit", type=int, default=None, metavar="N",
                   help="run the variants on the first N documents of each benchmark only (default: all the run's)")
    o = parser.add_argument_group("output")
    o.add_argument("--out", default=None, help="run folder (default reports/<model>-<protocol>)")
    o.add_argument("--resume", action="store_true", help="continue a run in --out, skipping finished documents")
    o.add_argument("--title", default=None)
    o.add_argument("--compare", nargs="+", metavar="RUN_DIR", help="instead of running: compare finished runs "
                                                                   "(same as `videor2 report`)")
    o.add_argument("--paper-dir", default=None, help="with --compare: the paper's tables (overlaid as reference rows)")


# ---------------------------------------------------------------- planning (fail fast)

@dataclass(frozen=True)
class RunPlan:
    """Everything a run needs, checked before any work starts (`RunPlan.from_args`)."""

    model: str                        # lmms-eval model name (adapter)
    pretrained: str | None            # checkpoint (None: replay, or --from-logs without one)
    protocol: str
    data: Path | None                 # local mirror folder; None: the hub
    tasks: tuple[str, ...]            # lmms-eval leaf task names
    out: Path                         # run folder
    label: str                        # model name in records and reports
    tiny: bool = False                # the embedded tiny default
    limit: int | None = None          # documents per benchmark
    shard: tuple[int, int] | None = None
    chunk: int = 4                    # documents per generation chunk (resume granularity)
    batch_size: int = 1
    device: str | None = None
    attention: bool = True            # record attention (VAS-attention)
    attention_layers: str = "-1"
    max_new_tokens: int | None = None
    extra_model_args: str = ""
    frame_cache: bool = True          # the adapters' disk cache of decoded frames
    from_logs: Path | None = None     # skip generation: read this lmms-eval output folder
    judge: str | None = "rules"       # None: --no-judge
    title: str = ""
    variants: tuple[str, ...] = ()    # counterfactual variants beside the real run (models/variants.py)
    variant_limit: int | None = None  # documents per benchmark the variants run on

    @classmethod
    def from_args(cls, args) -> "RunPlan":
        from videor2.plugin import MODELS

        tiny = args.model is None and args.pretrained is None
        model = args.model or DEFAULT_MODEL
        if model not in MODELS:
            raise DiagnoseError(f"unknown model {model!r}; known: {', '.join(sorted(MODELS))}")
        pretrained = _pretrained(model, args.pretrained, tiny, bool(args.from_logs))
        data = _data(args.data, tiny)
        if args.from_logs and not Path(args.from_logs).is_dir():
            raise DiagnoseError(f"--from-logs folder not found: {args.from_logs}")
        label = "tiny" if tiny else (Path(pretrained).name if pretrained else model)
        variants = _variants(args.counterfactual, args.ablate_prompt)
        if variants and args.from_logs:
            raise DiagnoseError("--counterfactual/--ablate-prompt generate again: not with --from-logs (run the "
                                "variants with lmms-eval --model_args counterfactual=...,prompt=direct instead)")
        if args.counterfactual_limit is not None and not variants:
            raise DiagnoseError("--counterfactual-limit needs --counterfactual or --ablate-prompt")
        if args.counterfactual_limit is not None and args.counterfactual_limit < 1:
            raise DiagnoseError("--counterfactual-limit must be at least 1")
        return cls(model=model, pretrained=pretrained, protocol=args.protocol, data=data, tasks=tuple(_tasks(args.tasks)),
                   out=Path(args.out or Path("reports") / f"{model}-{args.protocol}"), label=label, tiny=tiny,
                   limit=args.limit, shard=_shard(args.shard), chunk=args.chunk, batch_size=args.batch_size,
                   device=args.device, attention=not args.no_attention, attention_layers=args.attention_layers,
                   max_new_tokens=args.max_new_tokens, extra_model_args=args.model_args,
                   frame_cache=not args.no_frame_cache,
                   from_logs=Path(args.from_logs) if args.from_logs else None,
                   judge=None if args.no_judge else args.judge,
                   title=args.title or f"{label} ({model}, {args.protocol} protocol)",
                   variants=variants, variant_limit=args.counterfactual_limit)

    def variant_dir(self, variant: str | None) -> Path:
        """Where a generation pass writes: the run folder itself, or variants/<name>/ in it."""
        return self.out if variant is None else self.out / "variants" / variant

    def model_args(self) -> str:
        """The lmms-eval model_args string of the generation stage."""
        parts = []
        if self.model != "replay":
            parts += [f"pretrained={self.pretrained}", f"protocol={self.protocol}", f"log_dir={self.out / 'model_logs'}"]
            if self.attention:
                parts += ["record_attention=true", f"attention_layers={self.attention_layers.replace(',', ';')}"]
            if self.max_new_tokens:
                parts.append(f"max_new_tokens={self.max_new_tokens}")
            if not self.frame_cache:
                parts.append("frame_cache=off")
        if self.extra_model_args:
            parts.append(self.extra_model_args)
        return ",".join(parts)

    def run_info(self) -> dict:
        return {"model": self.label, "adapter": self.model, "pretrained": self.pretrained, "protocol": self.protocol,
                "tasks": list(self.tasks), "limit": self.limit, "judge": self.judge,
                "variants": list(self.variants), "variant_limit": self.variant_limit,
                "data": str(self.data) if self.data else "hub", "started": time.strftime("%Y-%m-%d %H:%M:%S")}


def _tasks(spec: str) -> list[str]:
    out = []
    for item in [t.strip() for t in spec.split(",") if t.strip()]:
        if item in GROUP_TASKS:
            out.extend(task_name(b) for b in GROUP_TASKS[item])
        else:
            try:
                out.append(task_name(benchmark_of(item)))
            except ValueError as exc:
                raise DiagnoseError(str(exc)) from None
    return list(dict.fromkeys(out))


def _variants(spec: str, ablate_prompt: bool) -> tuple[str, ...]:
    names = [v.strip() for v in (spec or "").split(",") if v.strip()]
    unknown = [v for v in names if v not in COUNTERFACTUALS]
    if unknown:
        raise DiagnoseError(f"unknown counterfactual {', '.join(unknown)}; choose from {', '.join(COUNTERFACTUALS)}")
    return tuple(dict.fromkeys(names + (["direct"] if ablate_prompt else [])))


def _shard(spec: str | None) -> tuple[int, int] | None:
    if not spec:
        return None
    try:
        i, n = (int(x) for x in spec.split("/"))
    except ValueError:
        raise DiagnoseError(f"--shard must look like i/N, got {spec!r}") from None
    if not (n >= 1 and 0 <= i < n):
        raise DiagnoseError(f"--shard {spec}: need 0 <= i < N")
    return i, n


def _pretrained(model: str, given: str | None, tiny: bool, from_logs: bool) -> str | None:
    pretrained = given
    if model != "replay" and pretrained is None and not from_logs:
        if tiny:
            from videor2.models.tiny import default_tiny_model

            pretrained = str(default_tiny_model())
        else:
            from videor2.models.profiles import get_profile

            pretrained = get_profile(model).hub_id
    if pretrained is not None and model != "replay":
        from videor2.models.checkpoint import CheckpointError, check_checkpoint

        try:
            check_checkpoint(pretrained)
        except CheckpointError as exc:
            raise DiagnoseError(str(exc)) from None
    return pretrained


def _data(given: str | None, tiny: bool) -> Path | None:
    data = given or os.environ.get(DATA_ENV) or ("fixtures" if tiny else None)
    if data == "fixtures":
        from videor2.fixtures import write_fixtures
        from videor2.paths import default_fixtures_dir

        return Path(write_fixtures(default_fixtures_dir()))
    if data is not None and not Path(data).is_dir():
        raise DiagnoseError(f"data folder not found: {data} (make one with `videor2 fixtures DIR`)")
    return Path(data) if data else None


def _check_out(out: Path, resume: bool) -> None:
    started = any(out.glob("generation*.jsonl")) or (out / "records.jsonl").exists()
    if started and not resume:
        raise DiagnoseError(f"{out} already holds a run; pass --resume to continue it or choose another --out")


# ---------------------------------------------------------------- stage 1: generation

def _doc_range(n: int, limit: int | None, shard) -> range:
    n = min(n, limit) if limit else n
    if shard is None:
        return range(n)
    i, k = shard
    return range(i * n // k, (i + 1) * n // k)


def _variant_docs(n: int, plan: RunPlan) -> list[int]:
    """The documents a variant pass answers: the first --counterfactual-limit of the run's documents
    (the same ones however the run is sharded), within this shard."""
    chosen = list(_doc_range(n, plan.limit, None))[:plan.variant_limit or None]
    mine = set(_doc_range(n, plan.limit, plan.shard))
    return [i for i in chosen if i in mine]


def generate(plan: RunPlan) -> list[SampleRecord]:
    """The real run's generation, then each variant's (one loaded model for all); returns the real
    run's records. Every pass skips the documents its own generation log already holds."""
    from lmms_eval.evaluator import simple_evaluate
    from lmms_eval.models import get_model
    from lmms_eval.tasks import TaskManager
    from tqdm import tqdm

    from videor2.lmms_logs import record_from_log_row
    from videor2.plugin import _register_task_folder

    suffix = "" if plan.shard is None else f".shard-{plan.shard[0]}-of-{plan.shard[1]}"
    counts = document_counts(plan)
    passes = []  # (variant, log, work)
    for variant in (None, *plan.variants):
        out = plan.variant_dir(variant)
        log = RecordLog(out / f"generation{suffix}.jsonl")
        done = {r.key for r in _read_generation(out)}
        ranges = []
        for task, n in counts.items():
            docs = _doc_range(n, plan.limit, plan.shard) if variant is None else _variant_docs(n, plan)
            docs = [i for i in docs if (benchmark_of(task), str(i)) not in done]
            for start in range(0, len(docs), plan.chunk):
                chunk = docs[start:start + plan.chunk]
                ranges.append((task, chunk[0], chunk[-1] + 1))
        if ranges:
            passes.append((variant, log, _calls(ranges, plan.chunk)))
    if passes:
        _register_task_folder()
        lm = get_model(plan.model).create_from_arg_string(plan.model_args(), {"batch_size": plan.batch_size,
                                                                              "device": plan.device})
        tm = TaskManager("ERROR")
    for variant, log, work in passes:
        if plan.variants:  # one loaded model, switched between the passes
            lm.set_variant(counterfactual=None if variant in (None, "direct") else variant,
                           prompt="direct" if variant == "direct" else "think",
                           log_dir=str(plan.variant_dir(variant) / "model_logs"))
        desc = "generation" if variant is None else f"generation ({variant})"
        with tqdm(total=sum(len(tasks) * (b - a) for tasks, a, b in work), desc=desc, unit="doc") as bar:
            for tasks, start, end in work:
                res = simple_evaluate(model=lm, tasks=list(tasks), limit=end - start, offset=start, log_samples=True,
                                      task_manager=tm, verbosity="ERROR", bootstrap_iters=0)
                for task in tasks:
                    rows = (res or {}).get("samples", {}).get(task, [])
                    log.append(record_from_log_row(task, row, plan.label) for row in rows
                               if (benchmark_of(task), str(row["doc_id"])) not in log)
                bar.update(len(tasks) * (end - start))
    return _read_generation(plan.out)


def _calls(ranges: list[tuple[str, int, int]], chunk: int) -> list[tuple[tuple[str, ...], int, int]]:
    """lmms-eval calls for (task, start, end) document ranges: tasks with the same range share a call
    (each call builds its tasks anew, seconds each) as long as it holds at most `chunk` documents,
    which stays the resume granularity."""
    calls: list[tuple[tuple[str, ...], int, int]] = []
    for task, start, end in ranges:
        if calls and calls[-1][1:] == (start, end) and (len(calls[-1][0]) + 1) * (end - start) <= chunk:
            calls[-1] = ((*calls[-1][0], task), start, end)
        else:
            calls.append(((task,), start, end))
    return calls


def read_variants(plan: RunPlan) -> dict[str, list[SampleRecord]]:
    """Every variant generated in the run folder (also those of an earlier invocation), with their
    attention statistics."""
    out = {}
    for folder in sorted((plan.out / "variants").glob("*")):
        records = _read_generation(folder)
        if records:
            out[folder.name] = attach_attention(records, plan, run_dir=folder, teacher_forcing=False)
    return out


def document_counts(plan: RunPlan) -> dict[str, int]:
    """Number of documents of every task, loading each benchmark's data first: a benchmark that is
    neither mirrored nor reachable (or cached) on the hub stops the run here, before the model loads."""
    from videor2.tasks.common.task import load_benchmark

    root = plan.data
    counts = {}
    for task in plan.tasks:
        bench = benchmark_of(task)
        try:
            counts[task] = len(load_benchmark(bench, root))
        except Exception as exc:  # datasets/hub raise many types; all mean "no data here"
            reason = (str(exc).strip().splitlines() or [""])[0].split(". ")[0][:200]
            where = (f"the mirror folder {root / bench} does not hold it ({type(exc).__name__}: {reason}); "
                     f"write one with `videor2 fixtures DIR` or fix --data/VIDEOR2_DATA") if root else (
                     f"it is not mirrored (--data/VIDEOR2_DATA unset) and the hub dataset "
                     f"{benchmark(bench).hub_id} is neither reachable nor cached ({type(exc).__name__}: {reason}); "
                     f"download it where there is network, or point --data at a local mirror")
            raise DiagnoseError(f"no data for {bench}: {where}") from None
    return counts


def _read_generation(out: Path) -> list[SampleRecord]:
    seen, records = set(), []
    for f in sorted(out.glob("generation*.jsonl")):  # shards merge here
        for d in iter_jsonl(f):
            rec = SampleRecord.from_dict(d)
            if rec.key not in seen:
                seen.add(rec.key)
                records.append(rec)
    return records


def from_logs(plan: RunPlan) -> list[SampleRecord]:
    from videor2.lmms_logs import read_lmms_logs

    log = RecordLog(plan.out / "generation.jsonl")
    wanted = {benchmark_of(t) for t in plan.tasks}
    records = [r for r in read_lmms_logs(plan.from_logs, model=plan.label) if r.benchmark in wanted]
    if not records:
        raise DiagnoseError(f"no videor2 sample logs under {plan.from_logs} (run lmms-eval with --log_samples)")
    log.append(r for r in records if r.key not in log)
    return _read_generation(plan.out)


# ---------------------------------------------------------------- stage 2: attention

def attach_attention(records: list[SampleRecord], plan: RunPlan, run_dir: Path | None = None,
                     teacher_forcing: bool = True) -> list[SampleRecord]:
    """Fill `vas_attention` from the sidecars of a generation pass (`run_dir`: the run folder or a
    variant's); compute missing ones by teacher forcing when possible (the real run)."""
    from videor2.diagnostics import vas_store

    if not plan.attention:
        return records
    run_dir = run_dir or plan.out
    att_dir = run_dir / "model_logs" / "attention"
    missing = []
    for rec in records:
        if rec.status != "ok":
            continue
        path = vas_store.sidecar_path(att_dir, task_name(rec.benchmark), rec.doc_id)
        if path.exists():
            rec.vas_attention = VasStats.from_dict(vas_store.read_sidecar(path)["meta"].get("stats"),
                                                   sidecar=str(path.relative_to(plan.out)))
        else:
            missing.append(rec)
    if missing and teacher_forcing and plan.from_logs and plan.pretrained and plan.model != "replay":
        _teacher_force(missing, plan, att_dir)
    return records


def _teacher_force(records: list[SampleRecord], plan: RunPlan, att_dir: Path) -> None:
    from tqdm import tqdm

    from videor2.diagnostics import vas_store
    from videor2.diagnostics.vas import AttentionProbe, score_response
    from videor2.errors import VideoError
    from videor2.models import requests as rq
    from videor2.models.hf_backend import TransformersBackend
    from videor2.models.profiles import get_profile
    from videor2.tasks.common.task import load_benchmark

    backend = TransformersBackend(plan.pretrained, device=plan.device)
    profile = get_profile(plan.model)
    probe = AttentionProbe(backend.model, layers=plan.attention_layers)
    docs = {}
    for rec in tqdm(records, desc="attention (teacher forcing)", unit="doc"):
        if rec.benchmark not in docs:
            docs[rec.benchmark] = load_benchmark(rec.benchmark, plan.data)
        bench = benchmark(rec.benchmark)
        doc = docs[rec.benchmark][int(rec.doc_id)]
        ids = backend.processor.tokenizer(rec.response, add_special_tokens=False)["input_ids"]
        if not ids:
            continue
        try:
            req = rq.scoring_request(profile, plan.protocol, task=task_name(rec.benchmark), doc_id=rec.doc_id,
                                     context=rec.context or bench.prompt(doc), key=bench.answer_key(doc),
                                     video_path=rec.video_path or doc["video_path"])
        except VideoError:
            continue
        if rec.context.startswith("<|im_start|>"):  # the log holds the exact chat prompt already
            req.raw_prompt = rec.context
        path = vas_store.save_record(att_dir, task_name(rec.benchmark), rec.doc_id,
                                     score_response(backend, req, ids, probe))
        rec.vas_attention = VasStats.from_dict(vas_store.read_sidecar(path)["meta"]["stats"],
                                               sidecar=str(path.relative_to(plan.out)))


# ---------------------------------------------------------------- stages 3 and 4

def judge_records(records: list[SampleRecord], judge, plan: RunPlan) -> list[SampleRecord]:
    from videor2.diagnostics.tac import apply_tac

    log = RecordLog(plan.out / "records.jsonl")
    if judge is None:
        log.append(r for r in records if r.key not in log)
    else:
        apply_tac(records, judge, log=log)
    order = {r.key: i for i, r in enumerate(records)}
    final = [r for r in read_records(log.path) if r.key in order]
    final.sort(key=lambda r: order[r.key])
    return final


def report(records: list[SampleRecord], plan: RunPlan):
    from videor2.diagnostics.reliance import attach_variants
    from videor2.diagnostics.summary import summarize
    from videor2.reports.html import write_report

    attach_variants(records, read_variants(plan))
    summary = summarize(records)
    index = write_report(plan.out, records, summary, title=plan.title, model_name=plan.label, vas_root=plan.out)
    return summary, index


def print_summary(summary, index: Path) -> None:
    from videor2.diagnostics.metrics import RELIANCE_CONSOLE, console_table, has_variants
    from videor2.diagnostics.summary import tac_judge_note

    print(console_table(summary))
    print(tac_judge_note(summary))
    if has_variants(summary):
        print("\nVideo reliance (variants answered on the same documents; points of accuracy):")
        print(console_table(summary, names=RELIANCE_CONSOLE))
    print(f"\nreport: {index}")


def run(args) -> int:
    if args.compare:
        from videor2.reports.compare import compare_runs

        out = Path(args.out or "reports/compare")
        index = compare_runs(args.compare, out, paper_dir=args.paper_dir)
        print(f"comparison: {index}")
        return 0
    try:
        plan = RunPlan.from_args(args)
        _check_out(plan.out, args.resume)
        judge = None
        if plan.judge is not None:
            from videor2.diagnostics.judge import make_judge

            judge = make_judge(plan.judge)  # an unreachable judge fails here, before any generation
    except (DiagnoseError, FileNotFoundError, ValueError) as exc:
        print(f"diagnose: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # e.g. JudgeUnavailable
        print(f"diagnose: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    plan.out.mkdir(parents=True, exist_ok=True)
    use_data_root(plan.data)  # the tasks lmms-eval builds in this process read this mirror
    info = plan.run_info()
    (plan.out / "run_info.json").write_text(json.dumps(info, indent=1))
    try:
        records = from_logs(plan) if plan.from_logs else generate(plan)
    except DiagnoseError as exc:
        print(f"diagnose: {exc}", file=sys.stderr)
        return 2
    from videor2.models.prefetch import read_stats, summary_line

    pipeline = read_stats(plan.out / "model_logs")  # decode / model time of the generation (adapters)
    variant_pipelines = {v: p for v in plan.variants if (p := read_stats(plan.variant_dir(v) / "model_logs"))}
    if pipeline is not None or variant_pipelines:
        info.update(pipeline=pipeline, **({"pipeline_variants": variant_pipelines} if variant_pipelines else {}))
        (plan.out / "run_info.json").write_text(json.dumps(info, indent=1))
    records = attach_attention(records, plan)
    if plan.shard is not None:
        print(f"shard {args.shard} generated {len(records)} records in total so far; when every shard is done, "
              f"run again without --shard and with --resume to judge and report")
        return 0
    records = judge_records(records, judge, plan)
    summary, index = report(records, plan)
    print_summary(summary, index)
    if pipeline is not None:
        print(summary_line(pipeline))
    return 0
