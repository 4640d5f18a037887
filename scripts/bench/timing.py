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


def litert_runner(path: Path, threads: int, signature: str | None = None):
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_path=str(path), num_threads=threads)
    return interp.get_signature_runner(signature)


def in_dtypes(runner, arrays: dict) -> dict:
    """The builders' int32 arrays in the runner's input dtypes (a seed file takes int64 / float32), cast once
    before timing: an app builds them in those dtypes."""
    from common.inputs import as_dtypes

    return as_dtypes(arrays, {n: d["dtype"] for n, d in runner.get_input_details().items()})


def bench_litert(path: Path, arrays: dict, threads: int, runs: int, warmup: int, signature: str | None) -> dict:
    runner = litert_runner(path, threads, signature)
    arrays = in_dtypes(runner, arrays)
    return summarize(time_calls(lambda: runner(**arrays), runs, warmup))
