"""Cost of the Video Attention Score probe on the tiny model at a real sequence size.

One request on the 10-minute fixture under the unified protocol (128 frames at 280x504, i.e.
11,520 video tokens), exactly N generated tokens (default 256, forced with min_new_tokens).
Side by side in one run, interleaved, best of --repeat:

  (1) generation time with the probe / without (target <= 1.10);
  (2) teacher-forced scoring of the same tokens (way b) / generating them (target <= 0.5);
  (3) the probe's extra peak memory / the selected layer's rows (4 bytes x heads x N x T;
      target <= 1.5), from torch's CPU allocator events (torch.profiler, profile_memory=True):
      the peak of live bytes allocated inside the probe's own calls, for both ways, plus the
      whole-call peak of generation with the probe minus without;
  (4) the same figures for the naive method (attn_implementation="eager", output_attentions=True
      over the whole sequence) with --run-naive; otherwise the memory it would need.

The probe path is the production one: AttentionProbe.begin / model.generate / AttentionProbe.end
exactly as TransformersBackend.generate does it, and diagnostics.vas.teacher_forced_shares. The
processor's output is computed once and reused by every configuration (it is the same work for
all of them; its time is printed separately). Exits 0 even when a target is missed.

    python scripts/bench_vas.py [--pool DIR] [--repeat 3] [--new-tokens 256] [--run-naive]
"""

from __future__ import annotations

import argparse
import gc
import os
import time
from pathlib import Path

MB = 1024 * 1024


def _verdict(value: float, target: float) -> str:
    return f"(target <= {target:.2f})" + ("" if value <= target else "  MISSED")


def _peak_bytes(prof, range_name: str | None = None) -> int:
    """Peak of live bytes (relative to the start) from the profiler's raw CPU allocator events.

    With range_name: the largest peak inside any single occurrence of that record_function range
    (relative to the live bytes at the range's start); otherwise over the whole profiled call."""
    events = list(prof.profiler.kineto_results.events())
    mem = sorted((e.start_ns(), e.nbytes()) for e in events
                 if e.name() == "[memory]" and e.device_type().name == "CPU")
    if range_name is None:
        windows = [(float("-inf"), float("inf"))]
    else:
        windows = [(e.start_ns(), e.start_ns() + e.duration_ns()) for e in events if e.name() == range_name]
    best = 0
    for lo, hi in windows:
        live = peak = 0
        for t, nbytes in mem:
            if t < lo:
                continue
            if t > hi:
                break
            live += nbytes
            peak = max(peak, live)
        best = max(best, peak)
    return best


def _profiled(fn, probe=None):
    """Run fn under the CPU memory profiler; the probe's _record calls are marked as a range."""
    from torch.profiler import ProfilerActivity, profile, record_function

    if probe is not None:
        original = type(probe)._record

        def marked(attn, idx, kwargs):
            with record_function("videor2.probe._record"):
                return original(probe, attn, idx, kwargs)

        probe._record = marked  # instance attribute shadows the method; removed below
    try:
        gc.collect()
        with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
            fn()
    finally:
        if probe is not None:
            del probe._record
    return prof


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[2:]))
    parser.add_argument("--pool", default=os.environ.get("VIDEOR2_TEST_POOL"),
                        help="fixture video pool (default: VIDEOR2_TEST_POOL, else the cached fixtures pool)")
    parser.add_argument("--model-path", help="checkpoint (default: the tiny model, built on first use)")
    parser.add_argument("--frames", type=int, default=128, help="max frames (default 128, the unified protocol)")
    parser.add_argument("--expect-video-tokens", type=int, default=11520,
                        help="assert this many video tokens (default 11520; 0 to skip)")
    parser.add_argument("--new-tokens", type=int, default=256, help="generated tokens, forced (default 256)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions, best of (default 3)")
    parser.add_argument("--layers", default="-1", help="probe layer(s) (default -1)")
    parser.add_argument("--chunk", type=int, default=512, help="teacher-forcing chunk (default 512)")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's choice)")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                        help="time the ratios by process CPU time (default; robust to other processes on a shared "
                             "machine, best with --threads 1) or wall time; both are printed")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory measurements")
    parser.add_argument("--run-naive", action="store_true",
                        help="run the naive eager/output_attentions method (needs L x H x T^2 x 4 bytes and more)")
    args = parser.parse_args(argv)

    import numpy as np
    import torch
    from videor2.diagnostics.vas import AttentionProbe, score_response
    from videor2.models import requests as rq
    from videor2.models.hf_backend import TransformersBackend
    from videor2.models.profiles import get_profile
    from videor2.tasks.common.prompts import THINK_POST_PROMPT

    from videor2.fixtures import build_pool

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.pool:
        pool = Path(args.pool)
    else:
        from videor2.paths import default_fixtures_dir

        pool = default_fixtures_dir() / "_pool"
    video = build_pool(pool)["v10min_2997fps_16x9"]
    if args.model_path:
        model_path = args.model_path
    else:
        from videor2.models.tiny import default_tiny_model

        model_path = str(default_tiny_model())

    n_new = args.new_tokens
    profile = get_profile("video_r2")
    t0 = time.perf_counter()
    request = rq.scoring_request(profile, "unified", video_path=str(video), frames={"max_frames": args.frames},
                                 context="What happens in the video? (A) a square moves (B) nothing" + THINK_POST_PROMPT,
                                 max_new_tokens=n_new)
    t_sample = time.perf_counter() - t0

    backend = TransformersBackend(model_path, dtype="float32", attn_implementation="sdpa", device="cpu")
    model = backend.model
    t0 = time.perf_counter()
    batch = backend.inputs([request])
    t_inputs = time.perf_counter() - t0
    P = batch["input_ids"].shape[1]
    n_video = int((batch["input_ids"] == backend.video_token_id).sum())
    if args.expect_video_tokens:
        assert n_video == args.expect_video_tokens, f"{n_video} video tokens, expected {args.expect_video_tokens}"
    original_inputs = backend.inputs
    backend.inputs = lambda reqs: batch if len(reqs) == 1 and reqs[0] is request else original_inputs(reqs)  # same tensors for all

    kwargs = backend.generation_kwargs(request.sampling)
    kwargs.update(max_new_tokens=n_new, min_new_tokens=n_new)  # exactly n_new tokens, no early stop
    probe = AttentionProbe(model, layers=args.layers)
    heads = model.config.num_attention_heads
    T = P + n_new

    def generate_plain():
        with torch.inference_mode():
            return model.generate(**batch, **kwargs)

    def generate_probe():  # TransformersBackend.generate's probe path, verbatim
        probe.begin(batch["input_ids"], batch["attention_mask"])
        try:
            with torch.inference_mode():
                sequences = model.generate(**batch, **kwargs)
        finally:
            shares = probe.end()
        return sequences, shares

    # warm-up, and the tokens every configuration works on
    plain_seq = generate_plain()
    seq, gen_shares = generate_probe()
    ids = seq[0, P:].tolist()
    assert len(ids) == n_new, len(ids)
    assert plain_seq[0, P:].tolist() == ids, "the probe changed the generated tokens"

    def teacher():  # what diagnose --from-logs and `videor2 vas --response` run per sample
        series = score_response(backend, request, ids, probe, chunk=args.chunk)["series"]
        return np.stack([series["video"], series["text"], series["generated"]], axis=1)

    kwargs_one = dict(kwargs, max_new_tokens=1, min_new_tokens=1)

    def prefill():  # the fixed cost every configuration pays: vision tower + prompt prefill (+ 1 token)
        with torch.inference_mode():
            return model.generate(**batch, **kwargs_one)

    forced = teacher()
    diff = float(np.abs(np.asarray(forced, np.float64) - np.asarray(gen_shares[0, :n_new], np.float64)).max())

    fns = {"plain": generate_plain, "probe": generate_probe, "teacher": teacher, "prefill": prefill}
    best_wall = {name: float("inf") for name in fns}
    best_cpu = dict(best_wall)
    for _ in range(args.repeat):  # interleaved: every configuration sees the same machine load
        for name, fn in fns.items():
            gc.collect()
            w0, c0 = time.perf_counter(), time.process_time()
            fn()
            best_cpu[name] = min(best_cpu[name], time.process_time() - c0)
            best_wall[name] = min(best_wall[name], time.perf_counter() - w0)
    best = best_cpu if args.clock == "cpu" else best_wall

    rows_bytes = 4 * heads * n_new * T
    print(f"model: {model_path}  layers: {len(model.model.layers)}  heads: {heads}  kv heads: "
          f"{model.config.num_key_value_heads}  probe layer(s): {probe.layers}  threads: {torch.get_num_threads()}")
    print(f"video: {video.name}  frames: {len(request.video.indices)} at {request.video.size[0]}x{request.video.size[1]}  "
          f"video tokens: {n_video}  prompt P: {P}  generated: {n_new}  T = P + n: {T}  repeats: {args.repeat}")
    print(f"sampling {t_sample:.2f} s and processor {t_inputs:.2f} s, once (shared by every configuration, not timed below)")
    print(f"teacher-forced shares vs generation shares: max abs diff {diff:.2e} percent points "
          f"(tolerance 1e-5){'' if diff <= 1e-5 else '  MISSED'}")
    for label, b in (("wall", best_wall), ("cpu", best_cpu)):
        print(f"best {label} time: generation without probe {b['plain']:.3f} s, with probe {b['probe']:.3f} s, "
              f"teacher-forced scoring {b['teacher']:.3f} s, vision + prefill only {b['prefill']:.3f} s")
    print(f"ratios below from {args.clock} time")
    steps = n_new - 1
    dec = best["plain"] - best["prefill"]
    print(f"time split: vision + prefill (generate 1 token) {best['prefill']:.3f} s; the other {steps} decode steps "
          f"{dec:.3f} s ({1000 * dec / steps:.2f} ms/step); the probe adds "
          f"{1000 * (best['probe'] - best['plain']) / n_new:.2f} ms/token; teacher forcing beyond the prefill "
          f"{best['teacher'] - best['prefill']:.3f} s")
    r1 = best["probe"] / best["plain"]
    r2 = best["teacher"] / best["plain"]
    print(f"generation with probe / without: {r1:.3f} {_verdict(r1, 1.10)}")
    print(f"teacher-forced scoring / generation: {r2:.3f} {_verdict(r2, 0.5)}")
    if dec > 0:
        print(f"  beyond the shared vision + prefill: probe overhead / decoding {(best['probe'] - best['plain']) / dec:.3f}; "
              f"teacher forcing / decoding {(best['teacher'] - best['prefill']) / dec:.3f}")

    if not args.no_memory:
        prof_plain = _profiled(generate_plain)
        peak_plain = _peak_bytes(prof_plain)
        del prof_plain
        prof_gen = _profiled(generate_probe, probe)
        own_gen, peak_gen = _peak_bytes(prof_gen, "videor2.probe._record"), _peak_bytes(prof_gen)
        del prof_gen
        prof_tf = _profiled(teacher, probe)
        own_tf, peak_tf = _peak_bytes(prof_tf, "videor2.probe._record"), _peak_bytes(prof_tf)
        del prof_tf
        prof_plain2 = _profiled(generate_plain)
        peak_plain2 = _peak_bytes(prof_plain2)
        del prof_plain2
        print(f"selected layer's rows (4 B x {heads} heads x {n_new} x {T}): {rows_bytes / MB:.1f} MiB")
        print(f"peak live CPU bytes, whole call: generation without probe {peak_plain / MB:.1f} MiB "
              f"(again: {peak_plain2 / MB:.1f} MiB, noise {abs(peak_plain2 - peak_plain) / MB:.2f} MiB), "
              f"with probe {peak_gen / MB:.1f} MiB, teacher-forced scoring {peak_tf / MB:.1f} MiB")
        print(f"probe's own peak during one call: generation {own_gen / MB:.2f} MiB, "
              f"teacher forcing {own_tf / MB:.1f} MiB")
        m_gen = max(own_gen, peak_gen - min(peak_plain, peak_plain2)) / rows_bytes
        m_tf = own_tf / rows_bytes
        print(f"probe extra peak memory / rows, generation (way a): {m_gen:.3f} {_verdict(m_gen, 1.5)}")
        print(f"probe extra peak memory / rows, teacher forcing (way b): {m_tf:.3f} {_verdict(m_tf, 1.5)}")

    # (4) the naive method
    L = len(model.model.layers)
    need = L * heads * T * T * 4
    print(f"naive attentions (L x H x T^2): tiny {L} x {heads} x {T}^2: fp32 {need / 2**30:.2f} GiB; "
          f"Qwen2.5-VL-7B 28 x 28 x {T}^2: fp32 {28 * 28 * T * T * 4 / 2**30:.0f} GiB, "
          f"bf16 {28 * 28 * T * T * 2 / 2**30:.0f} GiB (probe rows for the 7B: fp32 "
          f"{4 * 28 * n_new * T / MB:.0f} MiB)")
    if not args.run_naive:
        print(f"naive method: not run (pass --run-naive; it holds {need / 2**30:.2f} GiB of attentions plus "
              f"eager's per-layer T^2 temporaries); memory it would need / rows: {need / rows_bytes:.1f}  MISSED")
        return 0

    from transformers import Qwen2_5_VLForConditionalGeneration

    eager = Qwen2_5_VLForConditionalGeneration.from_pretrained(model_path, torch_dtype=torch.float32,
                                                               attn_implementation="eager").eval()
    from videor2.models.hf_backend import enable_chunked_vision

    enable_chunked_vision(eager)
    full = torch.cat([batch["input_ids"], torch.tensor([ids])], dim=1)
    video_mask = (batch["input_ids"][0] == backend.video_token_id)

    def naive():
        eager.rope_deltas = None
        with torch.inference_mode():
            out = eager(input_ids=full, attention_mask=torch.ones_like(full),
                        pixel_values_videos=batch["pixel_values_videos"], video_grid_thw=batch["video_grid_thw"],
                        second_per_grid_ts=batch["second_per_grid_ts"], output_attentions=True, use_cache=False)
            att = out.attentions[probe.layers[0]][0, :, P - 1:T - 1]  # [H, n, T] rows of the generating queries
            v = att[:, :, :P][:, :, video_mask].sum(-1)
            g = att[:, :, P:].sum(-1)
            shares = torch.stack([v, att.sum(-1) - v - g, g], -1).mean(0) * 100
            del out, att
        return shares.double().numpy()

    gc.collect()
    t0 = time.perf_counter()
    naive_shares = naive()
    t_naive = time.perf_counter() - t0
    ndiff = float(np.abs(naive_shares - np.asarray(gen_shares[0, :n_new], np.float64)).max())
    print(f"naive shares vs generation shares: max abs diff {ndiff:.2e} percent points")
    window = getattr(model.config, "sliding_window", None)
    if window and window < T:
        print(f"  note: config.sliding_window = {window} < T = {T}; transformers applies it in every 4D causal mask "
              f"(eager always) even with use_sliding_window=false, so the naive rows are windowed and differ")
    r_naive = t_naive / best["plain"]
    print(f"naive scoring (one eager forward, output_attentions) / generation: {r_naive:.3f} {_verdict(r_naive, 0.5)}")
    if not args.no_memory:
        prof_naive = _profiled(naive)
        peak_naive = _peak_bytes(prof_naive)
        del prof_naive
        m_naive = peak_naive / rows_bytes
        print(f"naive peak memory: {peak_naive / 2**30:.2f} GiB; / rows: {m_naive:.1f} {_verdict(m_naive, 1.5)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
