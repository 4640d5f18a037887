"""Kill drill: `python -m convert` SIGKILLed at several points, rerun to completion, ends as a clean conversion.

Kill points are chosen by watching the output folder (a temporary name appearing, the manifest listing a
file), never by a hook in the library: the child is the real CLI, killed as `kill -9` would kill it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from common import manifest as mf
from common.tflite import sha256_file
from common.variants import Component
from tests.cli import ROOT, cli_env
from tests.conftest import CORE_LABELS, TINY_TRAINED

CONVERT = [sys.executable, "-u", "-m", "convert", "--model", str(TINY_TRAINED), "--seq-lens", "256"]
FP32_INT8 = ("--precisions", "fp32", "int8", "--layout", "files")
BUNDLES = ("--precisions", "fp32", "int8", "--layout", "bundle")
VARIANTS = {"labels_encoder_fp32", "labels_encoder_int8", "text_encoder_seq256_fp32", "text_encoder_seq256_int8"}
TEXTS = [
    "Maria Garcia joined Acme Corp in Paris on May 3, 2021.",
    "Dr. Tanaka treated malaria cases in Lagos during the World Cup.",
    "Shares of Globex fell 3% after the Galaxy S24 recall cost $40 million.",
]


def _names(out: Path) -> set[str]:
    try:
        return {e.name for e in os.scandir(out)}
    except FileNotFoundError:
        return set()


def _listed(out: Path) -> set[str]:
    try:
        return set(json.loads((out / mf.MANIFEST).read_text()).get("artifacts", {}))
    except (OSError, ValueError):
        return set()


@dataclass
class Before:
    """The folder as the run found it: a kill point is a change from this."""

    names: set[str]
    listed: set[str]


Point = Callable[[Path, Before], bool]


def new_temp(target: str) -> Point:
    """A temporary of `target` (a file or folder name) that this run made is in the folder."""
    pat = re.compile(rf"\.{re.escape(target)}\..+\.tmp")
    return lambda out, before: any(pat.fullmatch(n) and n not in before.names for n in _names(out))


def newly_listed(stem: str) -> Point:
    """The manifest lists `stem`, which it did not list when the run started."""
    state = {"ino": None, "listed": set()}

    def point(out: Path, before: Before) -> bool:
        try:
            ino = (out / mf.MANIFEST).stat().st_ino  # replaced on every write: parse only new ones
        except FileNotFoundError:
            return False
        if ino != state["ino"]:
            state["ino"], state["listed"] = ino, _listed(out)
        return stem in state["listed"] - before.listed

    return point


def in_scratch(name: str) -> Point:
    """`name` is being written (or was) into this run's fp32 scratch folder (for a quantized-only request)."""
    pat = re.compile(r"\.fp32-scratch\..+\.tmp")

    def point(out: Path, before: Before) -> bool:
        return any(pat.fullmatch(n) and n not in before.names and name in _names(out / n) for n in _names(out))

    return point


def run_convert(out: Path, log: Path, kill_at: Point | None = None, too_late: Point | None = None,
                args=FP32_INT8, timeout: float = 300) -> tuple[bool, Before]:
    """Runs the CLI; with `kill_at`, SIGKILLs it the moment that point is seen (or `too_late`, if the point's
    window was missed). Returns whether `kill_at` fired, and the folder as the run found it."""
    before = Before(_names(out), _listed(out))
    with open(log, "w") as f:
        proc = subprocess.Popen([*CONVERT, *args, "--out", str(out)], cwd=ROOT, env=cli_env(), stdout=f,
                                stderr=subprocess.STDOUT, start_new_session=True)
    # The child at lower priority: on 2 busy cores the watcher then runs as soon as a window opens.
    os.setpriority(os.PRIO_PROCESS, proc.pid, 10)
    fired = False
    deadline = time.monotonic() + timeout
    try:
        while kill_at is not None and proc.poll() is None and time.monotonic() < deadline:
            if kill_at(out, before):
                fired = True
                break
            if too_late is not None and too_late(out, before):
                break
            time.sleep(0.0002)
        if kill_at is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=timeout)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    if kill_at is None:
        assert proc.returncode == 0, log.read_text()[-3000:]
    else:
        assert proc.returncode == -signal.SIGKILL, (
            f"the run ended ({proc.returncode}) before the kill point:\n{log.read_text()[-3000:]}")
    return fired, before


def kill_at(out: Path, logs: list[Path], point: Point, too_late: Point | None = None, attempts: int = 1,
            args=FP32_INT8) -> set[str]:
    """Kills a run at `point` and checks the folder still shows that point after the kill; a window missed
    (`too_late` seen first, or the point gone by the time the kill landed) is tried again. Returns the
    temporaries the kill left; `logs` gets each run's log."""
    for _ in range(attempts):
        logs.append(out.parent / f"run{len(logs)}.log")
        fired, before = run_convert(out, logs[-1], point, too_late, args)
        if fired and point(out, before):
            assert_listed_files_intact(out)
            return {n for n in _names(out) - before.names if n.endswith(".tmp")}
    pytest.fail(f"the kill point was missed in {attempts} runs; see {logs[-1]}")


def assert_listed_files_intact(out: Path) -> None:
    """The manifest (if any) lists only files whose bytes are the ones it names: a kill never breaks that."""
    man = mf.read(out)
    for stem, e in (man.artifacts if man else {}).items():
        path = out / e.file
        assert path.is_file() and path.stat().st_size == e.bytes and sha256_file(path) == e.sha256, stem


def _entities(folder: Path, precision: str, span_scoring: bool | None = None) -> list[list[tuple]]:
    from runtime import GLiNERLiteRT

    model = GLiNERLiteRT.from_pretrained(folder, precision=precision, num_threads=1, span_scoring=span_scoring)
    return [[(e["start"], e["end"], e["text"], e["label"], e["score"]) for e in model.predict_entities(t, CORE_LABELS, 0.3)]
            for t in TEXTS]


def test_convert_resumes_after_sigkill_anywhere(tmp_path, tiny_trained_artifacts):
    out = tmp_path / "out"
    logs: list[Path] = []
    left: list[tuple[set[str], int]] = []  # what a kill left, and the index of the next run's log

    def kill(point: Point, **kw) -> set[str]:
        left.append((kill_at(out, logs, point, **kw), len(logs)))
        return left[-1][0]

    # During the first .tflite export (litert-torch writing the temporary file).
    temps = kill(new_temp("labels_encoder_fp32.tflite"))
    assert any(n.startswith(".fp32-scratch.") for n in temps), temps
    # Inside a rerun's side-file writes: the new tokenizer folder being built, or the old one set aside
    # (a window of about a millisecond, so a miss is retried).
    kill(new_temp("text_tokenizer"), too_late=new_temp("fp32-scratch"), attempts=4)
    # Just after an export is listed: the quantized file derived from it is being made.
    kill(newly_listed("labels_encoder_fp32"))
    # While quantizing the text graph (its fp32 graph exported and listed just before).
    kill(new_temp("text_encoder_seq256_int8.tflite"))
    assert mf.read(out).artifacts.keys() == VARIANTS - {"text_encoder_seq256_int8"}

    logs.append(tmp_path / "final.log")
    run_convert(out, logs[-1])
    # Each run removed what the kill before it left, and said so.
    for temps, i in left:
        removed = set(re.findall(r"removed (\S+), left by an interrupted run", logs[i].read_text()))
        assert temps <= removed, (temps, removed, logs[i])

    assert_final_state(out, VARIANTS)
    for precision in ("fp32", "int8"):
        assert_same_entities(out, tiny_trained_artifacts, precision)


def test_bundle_convert_resumes_after_sigkill(tmp_path, tiny_trained_artifacts):
    """The bundle layout: killed while its fp32 bundle is exported, then while the int8 bundle is quantized."""
    out = tmp_path / "out"
    logs: list[Path] = []
    kill_at(out, logs, new_temp("gliner_bi_fp32.tflite"), args=BUNDLES)
    kill_at(out, logs, new_temp("gliner_bi_int8.tflite"), args=BUNDLES)
    assert set(mf.read(out).artifacts) == {"gliner_bi_fp32"}
    logs.append(tmp_path / "final.log")
    run_convert(out, logs[-1], args=BUNDLES)
    assert_final_state(out, {"gliner_bi_fp32", "gliner_bi_int8"})
    for precision in ("fp32", "int8"):
        assert_same_entities(out, tiny_trained_artifacts, precision)


def _has_span_graphs(folder: Path) -> bool:
    return any(g.variant.component is Component.SPANS for _, g in mf.read(folder).graphs())


def assert_final_state(out: Path, stems: set[str]) -> None:
    """Every listed file and side file is the one the manifest names, and no temporary is left anywhere."""
    man = mf.read(out)
    assert set(man.artifacts) == stems
    for stem, e in man.artifacts.items():
        path = out / e.file
        assert path.stat().st_size == e.bytes and sha256_file(path) == e.sha256, stem
    for name, side in man.files.items():
        assert sha256_file(out / side.path) == side.sha256, name
    stale = [os.path.join(d, n) for d, dirs, files in os.walk(out) for n in dirs + files if n.endswith(".tmp")]
    assert not stale


def assert_same_entities(folder: Path, clean: Path, precision: str) -> None:
    # The same graphs on both sides: a folder of seed files has no span graphs, so the clean folder (which has
    # its bundle too) runs the seed's graphs as well (the span path's int8 scores differ in rounding).
    seed_only = not _has_span_graphs(folder)
    got = _entities(folder, precision, False if seed_only else None)
    want = _entities(clean, precision, False if seed_only else None)
    assert sum(map(len, want)) > 0, "no entity to compare: the texts or the threshold are wrong"
    assert [[e[:4] for e in t] for t in got] == [[e[:4] for e in t] for t in want], precision
    for g, w in zip(sum(got, []), sum(want, [])):
        assert g[4] == pytest.approx(w[4], abs=1e-5), (precision, g, w)


@pytest.mark.slow
def test_convert_resumes_after_sigkill_in_the_fp32_scratch_and_a_forced_rerun(tmp_path, tiny_trained_artifacts):
    out = tmp_path / "out"
    logs: list[Path] = []
    int8 = ("--precisions", "int8", "--layout", "files")
    # int8 alone: the fp32 graph it is quantized from goes to a scratch folder, never listed.
    temps = kill_at(out, logs, in_scratch("labels_encoder_fp32.tflite"), args=int8)
    assert any(n.startswith(".fp32-scratch.") for n in temps), temps
    logs.append(tmp_path / "complete.log")
    run_convert(out, logs[-1], args=int8)
    assert_final_state(out, {"labels_encoder_int8", "text_encoder_seq256_int8"})
    # --force redoes listed files: killed while a listed file's replacement is being made.
    kill_at(out, logs, new_temp("text_encoder_seq256_int8.tflite"), args=(*int8, "--force"))
    logs.append(tmp_path / "final.log")
    run_convert(out, logs[-1], args=int8)
    assert_final_state(out, {"labels_encoder_int8", "text_encoder_seq256_int8"})
    assert_same_entities(out, tiny_trained_artifacts, "int8")
