"""Sampler overhead on the 10-minute fixture at 128 frames (unified protocol).

Prints, best of N repetitions, the wall time of `sample_video` (decord backend), the floor
(opening the file with decord and `get_batch` of exactly the same indices, no resize), and
their ratio (target <= 1.2).

    python scripts/bench_sampler.py [--pool DIR] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool", default=os.environ.get("VIDEOR2_TEST_POOL"),
                        help="fixture video pool (default: VIDEOR2_TEST_POOL, else the cached fixtures pool)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    import decord
    from videor2.models.sampler import sample_video

    from videor2.fixtures import build_pool

    if args.pool:
        pool = Path(args.pool)
    else:
        from videor2.paths import default_fixtures_dir

        pool = default_fixtures_dir() / "_pool"
    video = build_pool(pool)["v10min_2997fps_16x9"]

    warm = sample_video(video, backend="decord")  # warm caches and torch kernels
    indices = list(warm.indices)
    assert len(indices) == 128

    def sampler():
        sample_video(video, backend="decord")

    def floor():
        vr = decord.VideoReader(str(video), ctx=decord.cpu(0), num_threads=0)
        vr.get_batch(indices).asnumpy()

    best = {"sampler": float("inf"), "floor": float("inf")}
    for _ in range(args.repeat):  # interleaved so both see the same machine load
        for name, fn in (("sampler", sampler), ("floor", floor)):
            t = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t)
    print(f"video: {video.name}  frames: {len(indices)}  size: {warm.size[0]}x{warm.size[1]}  repeats: {args.repeat}")
    print(f"sampler (sample_video, decord, decode+resize): {best['sampler']:.3f} s")
    print(f"floor (decord VideoReader + get_batch, same indices): {best['floor']:.3f} s")
    print(f"ratio: {best['sampler'] / best['floor']:.3f} (target <= 1.2)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
