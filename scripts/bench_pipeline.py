"""Decode-ahead and the frame cache on the fixture videos, side by side in one run.

The model is replaced by a stand-in compute step of fixed duration per request (`time.sleep`: GPU
time leaves the CPU free for decoding); the decoder is the real one (`sample_video` through the
same `DecodeAhead` the adapters use). Requests: every good fixture video (1 s to 10 min) at the
paper protocol (128 frames), `--repeat` times in turn. Prints:

1. GIL: during one decode of the 10-minute clip, how late a sleeping Python thread wakes (a decoder
   holding the GIL would delay it by its whole call), and N decodes on 1 thread vs N threads vs N
   processes (the choice of threads for `DecodeAhead`);
2. pipeline: serial (decode, then compute) wall vs decode-ahead wall, and
   wall / max(decode / workers, compute) (target <= 1.10; serial is about (decode + compute) / compute),
   with the compute step at 1x and 1.5x the mean decode time (at 1x, decode needs the pool's whole
   throughput: on a 2-CPU machine where one decode already uses more than one core, decode / workers
   is out of reach, so the pool's measured throughput is printed beside it);
3. frame cache: the same videos decoded through an empty cache (cold) and again (warm), and
   warm / cold (target <= 0.05).

    python scripts/bench_pipeline.py [--compute-factor 1 1.5 | --compute S] [--ahead 8] [--workers 2] [--repeat 6] [--skip-gil]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

PROTOCOL = "paper"


def _decode(path: str, backend: str = "auto"):
    from videor2.models.sampler import sample_video

    return sample_video(path, protocol=PROTOCOL, backend=backend).frames.shape


_RAW = None


def _resize(_=None):
    """torch's resize alone: 128 frames of 360x640 to the protocol's 280x504."""
    global _RAW
    import numpy as np

    from videor2.models.sampler import resize_frames

    if _RAW is None:
        _RAW = np.random.default_rng(0).integers(0, 256, (128, 360, 640, 3), dtype=np.uint8)
    return resize_frames(_RAW, (280, 504)).shape


def gil(video: Path, n: int) -> None:
    steps = {"decord": (_decode, (str(video), "decord")), "pyav": (_decode, (str(video), "pyav")),
             "resize": (_resize, (None,))}
    print(f"\n[1] GIL: one call (decode: {video.name}, {PROTOCOL}, 128 frames) while a Python thread sleeps 2 ms "
          f"in a loop; a call holding the GIL would delay its wake-ups by the call's length")
    for name, (fn, fargs) in steps.items():
        fn(*fargs)  # warm
        late, stop = [], threading.Event()

        def beat():
            while not stop.is_set():
                t = time.perf_counter()
                time.sleep(0.002)
                late.append(time.perf_counter() - t - 0.002)

        th = threading.Thread(target=beat)
        th.start()
        t, c = time.perf_counter(), time.process_time()
        fn(*fargs)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        stop.set()
        th.join()
        print(f"  {name:6s} {wall:.2f} s (cpu {cpu:.2f} s); wake-up lateness max {max(late) * 1e3:.1f} ms, "
              f"mean {sum(late) / len(late) * 1e3:.2f} ms over {len(late)} wake-ups")
    print(f"  {n} calls: 1 thread vs {n} threads vs {n} processes (wall, best of 2)")
    for name, (fn, fargs) in steps.items():
        with ThreadPoolExecutor(n) as threads, ProcessPoolExecutor(n) as procs:
            list(procs.map(fn, *zip(*[fargs] * n)))  # start the workers
            best = {}
            for _ in range(2):
                for mode, run in (("serial", lambda: [fn(*fargs) for _ in range(n)]),
                                  ("threads", lambda: list(threads.map(fn, *zip(*[fargs] * n)))),
                                  ("processes", lambda: list(procs.map(fn, *zip(*[fargs] * n))))):
                    t = time.perf_counter()
                    run()
                    best[mode] = min(best.get(mode, float("inf")), time.perf_counter() - t)
        print(f"  {name:6s} serial {best['serial']:.2f} s, threads {best['threads']:.2f} s "
              f"(x{best['serial'] / best['threads']:.2f}), processes {best['processes']:.2f} s "
              f"(x{best['serial'] / best['processes']:.2f})")


def pipeline(videos: list[Path], args) -> None:
    from videor2.models.prefetch import Decode, DecodeAhead, PipelineStats

    # each repeat reads its videos through its own symlinks, so equal decodes inside the window are
    # not shared: every request pays a real decode
    links = Path(tempfile.mkdtemp(prefix="bench_pipeline_"))
    jobs = []
    for r in range(args.repeat):
        for v in videos:
            link = links / str(r) / v.name
            link.parent.mkdir(exist_ok=True)
            link.symlink_to(v.resolve())
            jobs.append(Decode.of(link, PROTOCOL, {}))
    for job in jobs[:len(videos)]:  # warm the page cache and torch's kernels
        job.run()
    t = time.perf_counter()  # calibration: the mean decode time sets the compute step
    for job in jobs[:len(videos)]:
        job.run()
    mean_decode = (time.perf_counter() - t) / len(videos)
    computes = [args.compute] if args.compute is not None else [f * mean_decode for f in args.compute_factor]

    t0 = time.perf_counter()  # decode throughput of the pool alone (no compute)
    with DecodeAhead(jobs, ahead=args.ahead, workers=args.workers) as ahead:
        for job in jobs:
            ahead.take(job)
    pool_decode = time.perf_counter() - t0
    print(f"\n[2] pipeline: {len(jobs)} requests ({len(videos)} videos x {args.repeat}), mean decode {mean_decode:.3f} s, "
          f"decode_ahead={args.ahead}, decode_workers={args.workers}, {os.cpu_count()} CPUs; the pool alone decodes "
          f"them in {pool_decode:.2f} s")
    for compute in computes:
        t0, decode = time.perf_counter(), 0.0
        for job in jobs:  # today: decode, then the model
            t = time.perf_counter()
            job.run()
            decode += time.perf_counter() - t
            time.sleep(compute)
        serial = time.perf_counter() - t0

        stats = PipelineStats()
        t0 = time.perf_counter()
        with DecodeAhead(jobs, ahead=args.ahead, workers=args.workers, stats=stats) as ahead:
            for job in jobs:
                start = time.perf_counter()
                ahead.take(job)
                stats.waited(time.perf_counter() - start)
                start = time.perf_counter()
                time.sleep(compute)
                stats.generated(start, time.perf_counter())
        wall = time.perf_counter() - t0
        s = stats.as_dict()

        total_compute = compute * len(jobs)
        bound = max(decode / args.workers, total_compute)
        print(f"  compute {compute:.3f} s per request ({compute * len(jobs) / decode:.2f} x this run's mean decode): "
              f"decode (serial, sum) "
              f"{decode:.2f} s, compute (sum) {total_compute:.2f} s, max(decode / workers, compute) {bound:.2f} s; "
              f"the pool decodes x{decode / pool_decode:.2f} as fast as serial")
        print(f"    serial (decode, then compute)  wall {serial:6.2f} s   wall / bound {serial / bound:.3f}")
        print(f"    decode-ahead                   wall {wall:6.2f} s   wall / bound {wall / bound:.3f}   (target <= 1.10); "
              f"wall / max(pool decode, compute) {wall / max(pool_decode, total_compute):.3f}")
        print(f"    accounting: decode {s['decode_s']:.2f} s (wall {s['decode_wall_s']:.2f} s), model {s['model_s']:.2f} s, "
              f"overlap {s['overlap_s']:.2f} s, waited for frames {s['wait_s']:.2f} s")
    shutil.rmtree(links)


def cache(videos: list[Path]) -> None:
    from videor2.models.frame_cache import FrameCache

    best = {"cold": float("inf"), "warm": float("inf")}
    for _ in range(2):  # a fresh cache each time; cold best of 2, warm best of 6: the machine is shared
        with tempfile.TemporaryDirectory() as root:
            fc = FrameCache(root)
            for phase in ("cold", "warm", "warm", "warm"):
                t = time.perf_counter()
                for v in videos:
                    fc.sample_video(v, protocol=PROTOCOL)
                best[phase] = min(best[phase], time.perf_counter() - t)
            info = fc.info()
    print(f"\n[3] frame cache: {len(videos)} videos ({PROTOCOL}, 128 frames each), "
          f"{info['bytes_written'] / 1e6:.0f} MB stored")
    print(f"  cold (decode + store, best of 2) {best['cold']:.3f} s; warm (read, best of 6) {best['warm']:.3f} s; "
          f"warm / cold {best['warm'] / best['cold']:.4f} (target <= 0.05); "
          f"hits {info['hits']}, misses {info['misses']}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool", default=os.environ.get("VIDEOR2_TEST_POOL"),
                        help="fixture video pool (default: VIDEOR2_TEST_POOL, else the cached fixtures pool; written "
                             "if absent)")
    parser.add_argument("--compute", type=float, default=None, help="stand-in model seconds per request (instead of "
                        "--compute-factor)")
    parser.add_argument("--compute-factor", type=float, nargs="+", default=[1.0, 1.5],
                        help="stand-in model time per request as multiples of the mean decode time (default: 1 1.5)")
    parser.add_argument("--ahead", type=int, default=8, help="decode_ahead (default 8, the adapters' default)")
    parser.add_argument("--workers", type=int, default=2, help="decode_workers (default 2: this machine's CPUs)")
    parser.add_argument("--repeat", type=int, default=6, help="requests per video (default 6: 42 requests, so the "
                        "first decode, which nothing can hide, weighs as in a run rather than a demo)")
    parser.add_argument("--skip-gil", action="store_true", help="skip the GIL measurement")
    args = parser.parse_args(argv)

    from videor2.fixtures import POOL, build_pool

    if args.pool:
        pool_dir = Path(args.pool)
    else:
        from videor2.paths import default_fixtures_dir

        pool_dir = default_fixtures_dir() / "_pool"
    pool = build_pool(pool_dir)
    videos = [pool[spec.name] for spec in POOL]
    if not args.skip_gil:
        gil(pool["v10min_2997fps_16x9"], args.workers)
    pipeline(videos, args)
    cache(videos)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
