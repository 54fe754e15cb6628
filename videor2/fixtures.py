"""`videor2 fixtures DIR`: an offline mirror of every benchmark with real encoded videos.

Each benchmark's declared `write_fixture(dest, videos)` (beside it, in its folder) writes its rows in the hub dataset's
own schema and file layout under DIR/<benchmark>/, linking videos from a shared pool of H.264
files encoded here with PyAV (1 s to 10 min; 24, 25, 29.97 and 30 fps; 16:9, 4:3 and portrait),
plus three broken ones: corrupt bytes, a zero-length file and a missing file. The same
`utils.load(root)` that reads the hub layout then reads this mirror, so tests exercise the real
loading code. Frames carry a moving square and a frame-index bar so decoders can be checked.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
from tqdm import tqdm

from videor2.tasks.registry import BENCHMARKS, benchmark

FIXTURE_VERSION = "1"


@dataclass(frozen=True)
class VideoSpec:
    name: str
    seconds: float
    fps: Fraction
    width: int
    height: int


POOL = (
    VideoSpec("v1s_30fps_16x9", 1.0, Fraction(30), 640, 360),
    VideoSpec("v3s_24fps_4x3", 3.0, Fraction(24), 480, 360),
    VideoSpec("v10s_25fps_16x9", 10.0, Fraction(25), 640, 360),
    VideoSpec("v10s_30fps_portrait", 10.0, Fraction(30), 360, 640),
    VideoSpec("v20s_2997fps_4x3", 20.0, Fraction(30000, 1001), 480, 360),
    VideoSpec("v45s_24fps_16x9", 45.0, Fraction(24), 640, 360),
    VideoSpec("v10min_2997fps_16x9", 600.0, Fraction(30000, 1001), 640, 360),
)
BROKEN = ("corrupt", "empty", "missing")


def frame_image(index: int, total: int, width: int, height: int) -> np.ndarray:
    """RGB frame: a colour ramp over time, a square moving left to right, a binary index bar."""
    t = index / max(total - 1, 1)
    img = np.empty((height, width, 3), dtype=np.uint8)
    img[..., 0] = int(255 * t)
    img[..., 1] = np.linspace(40, 200, width, dtype=np.uint8)[None, :]
    img[..., 2] = np.linspace(200, 40, height, dtype=np.uint8)[:, None]
    side = max(8, min(width, height) // 6)
    x = int((width - side) * t)
    y = (height - side) // 2
    img[y:y + side, x:x + side] = (255, 255, 255)
    bits = 16
    cell = max(2, width // (bits * 2))
    for b in range(bits):
        on = (index >> b) & 1
        img[:cell, b * cell:(b + 1) * cell] = 255 if on else 0
    return img


def encode_video(path: Path, spec: VideoSpec) -> Path:
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part.mp4")
    total = int(round(spec.seconds * float(spec.fps)))
    with av.open(str(tmp), mode="w") as container:
        stream = container.add_stream("libx264", rate=spec.fps)
        stream.width, stream.height, stream.pix_fmt = spec.width, spec.height, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "30", "g": str(int(float(spec.fps)) * 2)}
        for i in range(total):
            frame = av.VideoFrame.from_ndarray(frame_image(i, total, spec.width, spec.height), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    os.replace(tmp, path)
    return path


def build_pool(pool_dir: Path) -> dict[str, Path]:
    """Encode (once) the shared videos; return name -> path, broken ones included."""
    pool_dir.mkdir(parents=True, exist_ok=True)
    videos: dict[str, Path] = {}
    todo = [s for s in POOL if not (pool_dir / f"{s.name}.mp4").exists()]
    for spec in tqdm(todo, desc="encoding fixture videos", unit="video", disable=not todo):
        encode_video(pool_dir / f"{spec.name}.mp4", spec)
    for spec in POOL:
        videos[spec.name] = pool_dir / f"{spec.name}.mp4"
    corrupt = pool_dir / "corrupt.mp4"
    if not corrupt.exists():
        # a real mp4 header followed by garbage: opens as a file, fails to decode
        head = (pool_dir / f"{POOL[0].name}.mp4").read_bytes()[:64]
        rng = np.random.default_rng(0)
        corrupt.write_bytes(head + rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
    empty = pool_dir / "empty.mp4"
    empty.touch()
    videos["corrupt"], videos["empty"] = corrupt, empty
    videos["missing"] = pool_dir / "missing.mp4"  # never written
    return videos


def write_fixtures(root: str | os.PathLike, benchmarks=BENCHMARKS, force: bool = False) -> Path:
    root = Path(root).expanduser().resolve()
    stamp = root / "FIXTURES.json"
    if stamp.exists() and not force:
        info = json.loads(stamp.read_text())
        if info.get("version") == FIXTURE_VERSION and set(benchmarks) <= set(info.get("benchmarks", [])):
            return root
    videos = build_pool(root / "_pool")
    for bench in tqdm(benchmarks, desc="writing benchmark mirrors", unit="benchmark"):
        dest = root / bench
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        benchmark(bench).write_fixture(dest, videos)
    stamp.write_text(json.dumps({"version": FIXTURE_VERSION, "benchmarks": list(benchmarks)}, indent=1))
    return root


def add_arguments(parser) -> None:
    parser.add_argument("dir", help="folder to write the mirror into (then: export VIDEOR2_DATA=DIR)")
    parser.add_argument("--force", action="store_true", help="rewrite even if an up-to-date mirror is there")
    parser.add_argument("--benchmarks", default=",".join(BENCHMARKS), help="comma list (default: all)")


def run(args) -> int:
    root = write_fixtures(args.dir, [b.strip() for b in args.benchmarks.split(",") if b.strip()], force=args.force)
    print(root)
    return 0
