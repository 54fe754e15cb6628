"""Decode-ahead (models/prefetch.py) and the frame cache (models/frame_cache.py): same results as a
direct decode, per-sample errors, bounded memory, LRU eviction, stale and corrupt entries, and the
tiny model through the real lmms-eval CLI with both on and off."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from videor2.errors import VideoError
from videor2.models.frame_cache import FrameCache, open_frame_cache
from videor2.models.prefetch import Decode, DecodeAhead, PipelineStats, read_stats, summary_line, write_stats
from videor2.models.sampler import FrameSettings, sample_video

# small plans keep decoding cheap; the paper protocol repeats frames, unified does not
FRAMES = {"max_frames": 8, "min_pixels": 3136, "max_pixels": 12544}


@pytest.fixture(scope="module")
def pool(tmp_path_factory) -> dict[str, Path]:
    from videor2.fixtures import build_pool

    env = os.environ.get("VIDEOR2_TEST_POOL")
    return build_pool(Path(env) if env else tmp_path_factory.mktemp("pipeline_pool"))


def assert_same_video(a, b):
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if f.name == "frames":
            assert x.dtype == y.dtype == np.uint8 and np.array_equal(x, y)
        else:
            assert x == y and type(x) is type(y), f.name


def job(path, protocol="paper", **frames):
    return Decode.of(path, protocol, {**FRAMES, **frames})


# ------------------------------------------------------------------------------- decode-ahead

def test_decode_ahead_returns_every_video_in_order_as_a_direct_decode(pool):
    names = ["v10s_25fps_16x9", "v1s_30fps_16x9", "v45s_24fps_16x9", "v10s_25fps_16x9", "v3s_24fps_4x3",
             "v10s_30fps_portrait", "v20s_2997fps_4x3"]
    jobs = [job(pool[n], protocol="unified" if i % 2 else "paper") for i, n in enumerate(names)]
    stats = PipelineStats()
    with DecodeAhead(jobs, ahead=3, workers=2, stats=stats) as ahead:
        got = [ahead.take(j) for j in jobs]
    for j, video in zip(jobs, got):
        assert_same_video(video, j.run())
    # equal decodes in the window are shared, each consumer getting its own frames
    assert got[0].frames is not got[3].frames
    assert stats.as_dict()["decodes"] <= len(jobs)


def test_a_broken_video_among_prefetched_ones_fails_only_its_own_request(pool):
    names = ["v1s_30fps_16x9", "corrupt", "v3s_24fps_4x3", "empty", "corrupt", "missing", "v10s_25fps_16x9"]
    jobs = [job(pool[n]) for n in names]
    outcomes = []
    with DecodeAhead(jobs, ahead=4, workers=2) as ahead:
        for j in jobs:
            try:
                outcomes.append(ahead.take(j).frames.shape[0])
            except VideoError as exc:
                outcomes.append(str(exc))
    for name, outcome in zip(names, outcomes):
        if name in ("corrupt", "empty", "missing"):
            assert isinstance(outcome, str) and name in outcome  # the file's path is in the message
        else:
            assert outcome == 8


def test_decode_ahead_is_bounded_and_off_at_zero(pool):
    started, takes, lock = {}, [0], threading.Lock()

    class Recorder:  # stands in for the cache: sees when each decode starts
        def sample_video(self, path, **kw):
            with lock:
                started[(kw["max_frames"] - 4) // 2] = takes[0]
            time.sleep(0.01)
            return sample_video(path, **kw)

    names = ["v1s_30fps_16x9", "v3s_24fps_4x3", "v10s_25fps_16x9", "v10s_30fps_portrait", "v20s_2997fps_4x3"] * 2
    jobs = [job(pool[n], max_frames=4 + 2 * i) for i, n in enumerate(names)]  # position i: max_frames 4 + 2i
    with DecodeAhead(jobs, ahead=2, workers=2, cache=Recorder()) as ahead:
        for j in jobs:
            with lock:
                takes[0] += 1
            assert len(ahead.take(j).indices) == dict(j.frames)["max_frames"]  # paper: exactly max_frames
            time.sleep(0.02)
    assert sorted(started) == list(range(len(jobs)))
    # position k starts only once the consumer has begun taking position k - ahead
    for k, n_takes in started.items():
        assert k < n_takes + 2, (k, n_takes)
    with DecodeAhead(jobs, ahead=0, workers=2) as off:
        assert off.take(jobs[0]) is None  # the caller decodes
    with DecodeAhead(jobs[:2], ahead=2, workers=1) as ahead:
        assert ahead.take(job(pool["v45s_24fps_16x9"])) is None  # not planned
        assert ahead.take(jobs[1]) is not None  # skipping a planned one is allowed


def test_pipeline_accounting():
    s = PipelineStats()
    s.decoded(0.0, 2.0)
    s.decoded(1.0, 3.0)  # parallel decodes: wall 0..3
    s.decoded(5.0, 6.0)
    s.generated(2.5, 5.5)
    s.waited(0.5)
    d = s.as_dict()
    assert d["decodes"] == 3 and d["decode_s"] == 5.0 and d["decode_wall_s"] == 4.0
    assert d["model_s"] == 3.0 and d["overlap_s"] == 1.0 and d["wait_s"] == 0.5


def test_pipeline_stats_of_ranks_merge(tmp_path):
    one = {"wall_s": 10.0, "decodes": 3, "decode_s": 2.0, "decode_wall_s": 1.5, "wait_s": 0.1, "model_s": 9.0,
           "overlap_s": 1.0, "decode_ahead": 8, "decode_workers": 4,
           "cache": {"dir": "/x", "max_bytes": 5, "hits": 1, "misses": 2, "stores": 2, "evictions": 0,
                     "bytes_read": 10, "bytes_written": 20}}
    write_stats(tmp_path / "pipeline.rank0.json", one)
    write_stats(tmp_path / "pipeline.rank1.json", {**one, "wall_s": 12.0, "decodes": 4})
    merged = read_stats(tmp_path)
    assert merged["ranks"] == 2 and merged["wall_s"] == 12.0 and merged["decodes"] == 7
    assert merged["decode_ahead"] == 8 and merged["cache"]["hits"] == 2 and merged["cache"]["max_bytes"] == 5
    assert "2 hits" in summary_line(merged)
    assert read_stats(tmp_path / "none") is None


# ------------------------------------------------------------------------------- frame cache

def settings(**kw):
    return FrameSettings(protocol=kw.pop("protocol", "paper"), **{**FRAMES, **kw})


def test_cache_hit_is_exactly_a_fresh_decode(pool, tmp_path):
    cache = FrameCache(tmp_path / "fc")
    for name, st in (("v10s_25fps_16x9", settings()), ("v45s_24fps_16x9", settings(protocol="native", key_windows=[(10, 19)])),
                     ("v3s_24fps_4x3", settings(protocol="unified"))):
        fresh = sample_video(pool[name], st)
        first = cache.sample_video(pool[name], st)
        second = cache.sample_video(pool[name], st)
        assert_same_video(first, fresh)
        assert_same_video(second, fresh)
    assert cache.info()["hits"] == 3 and cache.info()["misses"] == 3 and cache.info()["stores"] == 3
    # other settings or another backend are other entries
    cache.sample_video(pool["v10s_25fps_16x9"], settings(max_frames=6))
    cache.sample_video(pool["v10s_25fps_16x9"], settings(), backend="pyav")
    assert cache.info()["misses"] == 5
    assert not list(tmp_path.glob("fc/*/.tmp-*"))


def test_cache_evicts_the_least_recently_used_under_its_cap(pool, tmp_path):
    probe = FrameCache(tmp_path / "probe")
    probe.sample_video(pool["v1s_30fps_16x9"], settings())
    entry = probe.size_bytes()
    cache = FrameCache(tmp_path / "fc", max_bytes=int(entry * 2.5))
    a, b, c = (settings(max_frames=n) for n in (8, 8, 8))
    paths = [pool["v1s_30fps_16x9"], pool["v3s_24fps_4x3"], pool["v10s_25fps_16x9"]]
    cache.sample_video(paths[0], a)
    time.sleep(0.02)
    cache.sample_video(paths[1], b)
    time.sleep(0.02)
    cache.sample_video(paths[0], a)  # a hit: A is now the most recently used
    time.sleep(0.02)
    cache.sample_video(paths[2], c)  # over the cap: B goes
    info = cache.info()
    assert info["evictions"] == 1 and cache.size_bytes() <= cache.max_bytes
    assert cache.get(cache.key(paths[0], a)) is not None
    assert cache.get(cache.key(paths[2], c)) is not None
    assert cache.get(cache.key(paths[1], b)) is None


def test_a_changed_file_is_decoded_again(pool, tmp_path):
    video = tmp_path / "clip.mp4"
    shutil.copy(pool["v10s_25fps_16x9"], video)
    cache = FrameCache(tmp_path / "fc")
    st = settings()
    cache.sample_video(video, st)
    cache.sample_video(video, st)
    assert cache.info()["hits"] == 1
    stat = video.stat()
    os.utime(video, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # same bytes, newer mtime
    again = cache.sample_video(video, st)
    assert cache.info()["hits"] == 1 and cache.info()["misses"] == 2
    assert_same_video(again, sample_video(video, st))
    # new content under the same name: its own frames, not the cached ones
    shutil.copy(pool["v10s_30fps_portrait"], video)
    replaced = cache.sample_video(video, st)
    assert cache.info()["misses"] == 3
    assert_same_video(replaced, sample_video(pool["v10s_30fps_portrait"], st))


@pytest.mark.parametrize("damage", ["truncate_frames", "garble_meta", "wrong_shape"])
def test_a_corrupt_entry_is_a_miss_and_is_replaced(pool, tmp_path, damage):
    cache = FrameCache(tmp_path / "fc")
    st = settings()
    fresh = cache.sample_video(pool["v10s_25fps_16x9"], st)
    entry = next((tmp_path / "fc").glob("*/*/meta.json")).parent
    if damage == "truncate_frames":
        data = (entry / "frames.npy").read_bytes()
        (entry / "frames.npy").write_bytes(data[:len(data) // 2])
    elif damage == "garble_meta":
        (entry / "meta.json").write_text("{not json")
    else:
        np.save(entry / "frames.npy", np.zeros((3, 4, 5, 3), np.uint8))
    again = cache.sample_video(pool["v10s_25fps_16x9"], st)
    assert_same_video(again, fresh)
    assert cache.info()["hits"] == 0 and cache.info()["misses"] == 2 and cache.info()["stores"] == 2
    assert_same_video(cache.sample_video(pool["v10s_25fps_16x9"], st), fresh)  # rewritten whole
    assert cache.info()["hits"] == 1


def test_failures_are_never_cached(pool, tmp_path):
    cache = FrameCache(tmp_path / "fc")
    for _ in range(2):
        for name in ("corrupt", "empty", "missing"):
            with pytest.raises(VideoError):
                cache.sample_video(pool[name], settings())
    assert cache.info()["stores"] == 0 and cache.size_bytes() == 0


def test_concurrent_writers_leave_one_whole_entry(pool, tmp_path):
    st = settings()
    caches = [FrameCache(tmp_path / "fc") for _ in range(3)]  # as three processes would
    results = [None] * 3
    threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, caches[i].sample_video(pool["v20s_2997fps_4x3"], st)))
               for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    fresh = sample_video(pool["v20s_2997fps_4x3"], st)
    for r in results:
        assert_same_video(r, fresh)
    assert len(list((tmp_path / "fc").glob("*/*/meta.json"))) == 1
    assert not list((tmp_path / "fc").glob("*/.tmp-*"))
    assert_same_video(caches[0].sample_video(pool["v20s_2997fps_4x3"], st), fresh)


def test_frame_cache_model_arg(tmp_path, monkeypatch):
    monkeypatch.setenv("VIDEOR2_CACHE", str(tmp_path / "home"))
    monkeypatch.delenv("VIDEOR2_FRAME_CACHE", raising=False)
    assert open_frame_cache("off") is None and open_frame_cache("false") is None
    on = open_frame_cache("on")
    assert on.root == tmp_path / "home" / "frames" and on.max_bytes == 50 * 10**9
    monkeypatch.setenv("VIDEOR2_FRAME_CACHE", str(tmp_path / "elsewhere"))
    assert open_frame_cache("on").root == tmp_path / "elsewhere"
    assert open_frame_cache(str(tmp_path / "x"), "0.5").max_bytes == 5 * 10**8


# ------------------------------------------------------------------------------- end to end

@pytest.mark.slow
def test_cli_results_are_identical_with_decode_ahead_and_the_cache(tmp_path, fixture_mirror):
    """The tiny model on VSI-Bench (an empty video) and LongVideoBench (the 10-minute clip, a missing
    video), in batches of 2: off, then decode-ahead with a cold cache, then again warm."""
    from conftest import find_one, run_lmms_eval
    from videor2.models.tiny import default_tiny_model

    base = f"pretrained={default_tiny_model()},max_new_tokens=8,max_num_frames=16"
    runs = {"off": "decode_ahead=0,frame_cache=off",
            "cold": f"decode_ahead=2,decode_workers=2,frame_cache={tmp_path / 'frames'}",
            "warm": f"decode_ahead=2,decode_workers=2,frame_cache={tmp_path / 'frames'}"}
    logs, samples, stats = {}, {}, {}
    for name, extra in runs.items():
        out = tmp_path / name
        proc = run_lmms_eval(["--tasks", "videor2_vsibench,videor2_longvideobench", "--model", "video_r2",
                              "--model_args", f"{base},{extra}", "--limit", "3", "--batch_size", "2",
                              "--output_path", str(out), "--log_samples", "--verbosity", "WARNING"],
                             cwd=tmp_path, env_extra={"VIDEOR2_DATA": str(fixture_mirror)})
        assert sorted(out.rglob("*_results.json")), proc.stderr[-4000:]
        logs[name] = [json.loads(line) for line in (out / "videor2" / "generation.jsonl").read_text().splitlines()]
        samples[name] = {bench: sorted((r["doc_id"], r.get("resps"), r["filtered_resps"], r["input"]) for r in map(
            json.loads, find_one(out, f"*_samples_videor2_{bench}.jsonl").read_text().splitlines()))
            for bench in ("vsibench", "longvideobench")}
        stats[name] = json.loads((out / "videor2" / "pipeline.json").read_text())
    assert samples["cold"] == samples["off"] and samples["warm"] == samples["off"]
    assert logs["cold"] == logs["off"] and logs["warm"] == logs["off"]  # prompts, frames, outputs, statuses
    errors = [(e["task"], e["doc_id"]) for e in logs["off"] if e["status"] == "video_error"]
    assert sorted(errors) == [("videor2_longvideobench", 2), ("videor2_vsibench", 1)]  # missing, empty: once each
    assert len(logs["off"]) == 6 and len({(e["task"], e["doc_id"]) for e in logs["off"]}) == 6
    assert stats["off"]["cache"] is None and stats["off"]["decode_ahead"] == 0
    assert stats["cold"]["cache"]["hits"] == 0 and stats["cold"]["cache"]["stores"] == 4
    assert stats["warm"]["cache"]["hits"] == 4 and stats["warm"]["cache"]["stores"] == 0
    for s in stats.values():
        assert s["decodes"] == 6 and s["model_s"] > 0 and 0 <= s["overlap_s"] <= min(s["model_s"], s["decode_wall_s"])


@pytest.mark.slow
def test_diagnose_reports_the_pipeline_and_turns_the_cache_off(tmp_path):
    import subprocess
    import sys

    from conftest import REPO

    run = tmp_path / "run"
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "diagnose.py"), "--tasks", "videor2_vsibench",
                           "--limit", "2", "--max-new-tokens", "4", "--no-attention", "--no-judge", "--no-frame-cache",
                           "--out", str(run)], cwd=tmp_path, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert proc.returncode == 0, proc.stderr[-4000:]
    pipeline = json.loads((run / "run_info.json").read_text())["pipeline"]
    assert pipeline["decodes"] == 2 and pipeline["cache"] is None and pipeline["ranks"] == 1  # one empty video
    assert pipeline["model_s"] > 0 and pipeline["decode_ahead"] == 8
    assert summary_line(pipeline) in proc.stdout
