"""Timing and progress lines shared by every measurement: wall-clock samples, their summary, a LiteRT runner."""

from __future__ import annotations

import time
from pathlib import Path


def log(msg: str) -> None:
    print(f"[bench] {msg}", flush=True)


def log_start(what: str) -> None:
    """The first half of a progress line; `report` ends it when the measurement is done (minutes at large S)."""
    print(f"[bench] {what}: ", end="", flush=True)


def report(stats: dict) -> dict:
    print(f"median {fmt_ms(stats['median_ms'])} ms, p90 {fmt_ms(stats['p90_ms'])} ms", flush=True)
    return stats


def fmt_ms(x: float | None) -> str:
    """Milliseconds with three significant-ish digits, as every table prints them."""
    if x is None:
        return "-"
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    if x >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def time_calls(fn, runs: int, warmup: int) -> list[float]:
    """Wall seconds of `runs` calls of fn after `warmup` untimed ones."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def summarize(seconds: list[float]) -> dict:
    import numpy as np

    ms = np.asarray(seconds, dtype=np.float64) * 1e3
    return {
        "median_ms": float(np.median(ms)),
        "p90_ms": float(np.percentile(ms, 90)),
        "min_ms": float(ms.min()),
        "runs": int(ms.size),
    }


class LiteRTGraph:
    """One signature of a .tflite opened as an app opens it: the runtime's CompiledModel (runtime.engine.Engine)
    with its proven XNNPACK weight cache (runtime.cache) in `cache_dir`; called with the builders' arrays (Engine
    casts them to the signature's dtypes). One file's engine per thread count is kept across signatures: a bundle
    is created (and its weights packed) once, as in an app."""

    _open: dict = {}

    def __init__(self, path: Path, threads: int, signature: str | None, cache_dir: Path | None):
        key = (str(path), threads, str(cache_dir))
        if key not in LiteRTGraph._open:
            while len(LiteRTGraph._open) >= 2:  # the bundle and the ceiling's layer: a bundle holds 19 signatures
                LiteRTGraph._open.pop(next(iter(LiteRTGraph._open)))
            LiteRTGraph._open[key] = open_engine(path, threads, cache_dir)
        self.engine = LiteRTGraph._open[key]
        self.signature = signature or next(iter(self.engine.signatures))

    def __call__(self, arrays: dict) -> dict:
        return self.engine.run(self.signature, arrays)

    @classmethod
    def close_all(cls) -> None:
        cls._open.clear()


def open_engine(path: Path, threads: int, cache_dir: Path | None):
    """runtime.engine.Engine over `path`, its weight cache in `cache_dir` (None: none), built and recorded on the
    first open, verified and mapped on the next (what a second app launch does)."""
    import hashlib

    from runtime import cache as weight_cache
    from runtime.engine import Engine

    slot = None
    if cache_dir is not None:
        with open(path, "rb") as f:
            sha = hashlib.file_digest(f, "sha256").hexdigest()
        slot, notes = weight_cache.acquire(Path(path).parent, sha, cache_dir)
        if slot is None:
            raise RuntimeError(f"no weight cache in {cache_dir}: {'; '.join(notes)}")
    try:
        engine = Engine.from_file(str(path), threads, slot.litert_path if slot else None)
        if slot is not None:
            slot.commit()
        return engine
    finally:
        if slot is not None:
            slot.close()


def bench_litert(path: Path, arrays: dict, threads: int, runs: int, warmup: int, signature: str | None,
                 cache_dir: Path | None = None) -> dict:
    graph = LiteRTGraph(path, threads, signature, cache_dir)
    return summarize(time_calls(lambda: graph(arrays), runs, warmup))
