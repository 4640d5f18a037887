"""validate's GPU stage: a bundle's signatures run through LiteRT's GPU accelerator (ML Drift over WebGPU/Dawn on a
Vulkan adapter, here mesa's software lavapipe from `make gpu-adapter`) and judged against upstream by the same gate
as the CPU rows, in both GPU precisions, with the ops the GPU took and refused per signature (LiteRT's partition
log). The accelerator runs in a child process (validate.gpu_child): the adapter's libraries must be in its
environment from the start, and a crash of native GPU code must become a row, not the end of validation."""

from __future__ import annotations

import json
import os
import pickle
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from common.variants import Layout, Precision, Tolerance
from validate.graphs import TimedGraph

ROOT = Path(__file__).resolve().parent.parent
ADAPTER_DIR = ROOT / "build" / "gpu-adapter"  # where `make gpu-adapter` unpacks it


@dataclass(frozen=True)
class Setting:
    """One GPU precision setting: what ML Drift computes in, and what its rows must meet."""

    name: str
    enforce_f32: bool
    tolerance: Tolerance | None  # None: the graph's own precision's tolerance


# fp16 intermediates keep 11 significant bits (relative rounding ~5e-4 per op), so logits cannot meet float32's 1e-5;
# as for int8, the gate is what a user sees: the entities (and label embeddings' direction).
FP16_TOLERANCE = Tolerance(
    max_rel_error=None, flip_margin=None, min_entity_f1=0.99, min_label_cosine=0.999,
    why="the GPU's fp16 intermediates round every op to 11 significant bits: judge the entities a user sees and "
    "the label embeddings' direction, report logit differences and flips",
)
SETTINGS = (
    Setting("fp32", True, None),  # GpuOptions(enforce_f32=True): float32 throughout, judged as the CPU's fp32 rows
    Setting("fp16", False, FP16_TOLERANCE),  # the accelerator's default
)


class AdapterMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class Adapter:
    """The software Vulkan adapter `make gpu-adapter` unpacked: the environment a process needs to see it."""

    folder: Path
    env: dict
    mesa: str

    @classmethod
    def load(cls, folder: Path = ADAPTER_DIR) -> "Adapter":
        info = Path(folder) / "env.json"
        if not info.is_file():
            raise AdapterMissing(f"no GPU adapter in {folder} (env.json missing); install it with: make gpu-adapter")
        data = json.loads(info.read_text())
        icd = Path(data["env"]["VK_ICD_FILENAMES"])
        if not icd.is_file():
            raise AdapterMissing(f"{icd} is gone (the adapter folder moved?); rm -rf {folder} && make gpu-adapter")
        return cls(Path(folder), data["env"], data.get("mesa", "unknown"))

    def environ(self) -> dict:
        env = dict(os.environ)
        env["VK_ICD_FILENAMES"] = self.env["VK_ICD_FILENAMES"]
        env["LD_LIBRARY_PATH"] = os.pathsep.join(p for p in (self.env["LD_LIBRARY_PATH"], env.get("LD_LIBRARY_PATH")) if p)
        return env


class GpuCrash(RuntimeError):
    """The child died (native GPU code crashed) or LiteRT refused: the message says how, with its last log lines."""


def _log_tail(log: str, n: int = 6) -> str:
    """The log's last lines that say something (not INFO chatter, not the per-op refusal list)."""
    keep = [ln for ln in log.splitlines() if ln.strip() and not ln.startswith(("INFO:", "I0000"))
            and "not supported by GPU delegate" not in ln and not re.match(r"^[A-Z0-9_]+: ", ln)]
    return " | ".join(keep[-n:])


class Session:
    """One .tflite open on the GPU in a child process, for one setting."""

    def __init__(self, path: Path, setting: Setting, adapter: Adapter, python: str = sys.executable):
        from validate.gpu_child import COMPILED

        self.path, self.setting, self._compiled_marker = Path(path), setting, COMPILED
        self._log = tempfile.TemporaryFile()
        t = time.perf_counter()
        self.proc = subprocess.Popen(
            [python, "-m", "validate.gpu_child", str(path), "fp32" if setting.enforce_f32 else "fp16"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, cwd=ROOT, env=adapter.environ())
        hello = self._recv()
        self.open_s = time.perf_counter() - t
        if "error" in hello:
            self.close()
            raise GpuCrash(f"the GPU accelerator refused {self.path.name}: {hello['error']}")
        self.fully_accelerated = hello["fully_accelerated"]

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def _recv(self) -> dict:
        try:
            return pickle.load(self.proc.stdout)
        except (EOFError, pickle.UnpicklingError):
            rc = self.proc.wait()
            how = f"killed by {signal.Signals(-rc).name}" if rc < 0 else f"exited with {rc}"
            raise GpuCrash(f"the GPU process {how}: {_log_tail(self.log())}") from None

    def run(self, signature: str, arrays: dict) -> dict:
        if not self.alive:
            raise GpuCrash("the GPU process is gone")
        try:
            pickle.dump((signature, arrays), self.proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass  # _recv says why it died
        reply = self._recv()
        if "error" in reply:
            raise GpuCrash(f"{signature} on the GPU: {reply['error']}")
        return reply["outputs"]

    def log(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def partition_log(self) -> str:
        """What LiteRT logged while compiling the model (the GPU's partitions), without the run's messages."""
        return self.log().split(self._compiled_marker, 1)[0]

    def close(self) -> None:
        if self.proc.stdin and not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class GpuGraph(TimedGraph):
    """One signature of a file open on the GPU, called and timed as validate.graphs.Interp is."""

    def __init__(self, session: Session, graph):
        super().__init__(graph)
        self.session = session

    def _run(self, arrays: dict) -> dict:
        return self.session.run(self.signature, arrays)


class Opener:
    """Opens graphs on the GPU for validate.harness (its `opener`): one child per file, reopened if it died."""

    def __init__(self, adapter: Adapter, setting: Setting):
        self.adapter, self.setting = adapter, setting
        self.sessions: dict[Path, Session] = {}
        self.first: dict[Path, Session] = {}  # the first session of each file: its log has the partitions
        self.errors: dict[Path, str] = {}

    def __call__(self, path: Path, num_threads, graph) -> GpuGraph:
        path = Path(path)
        s = self.sessions.get(path)
        if s is None or not s.alive:
            try:
                s = Session(path, self.setting, self.adapter)
            except GpuCrash as e:
                self.errors.setdefault(path, str(e))
                raise
            self.sessions[path] = s
            self.first.setdefault(path, s)
        return GpuGraph(s, graph)

    def close(self) -> None:
        for s in {id(s): s for s in [*self.sessions.values(), *self.first.values()]}.values():
            s.close()


_REFUSED_HEAD = "Following operations are not supported by GPU delegate"
_COUNTS = re.compile(r"(\d+) operations will run on the GPU, and the remaining (\d+) operations will run on the CPU")
_KERNEL = "Initializing WebGPU-based API from graph"


def partitions(log: str, path: Path) -> dict:
    """Per signature: its ops, how many the GPU took and left to the CPU, and each refused op with LiteRT's reason.

    LiteRT's GPU delegate logs, per subgraph in index order, the refused ops with a reason (then "N operations will
    run on the GPU, and the remaining M ... on the CPU") and initializes one GPU kernel per subgraph it takes any op
    of; a subgraph with no refusal line was taken whole. The attribution is checked against each subgraph's op count
    in the file: a log that does not add up is reported as such, never guessed.
    """
    from common.tflite import read_model

    model = read_model(path)
    sigs = sorted(((int(model.SignatureDefs(i).SubgraphIndex()), model.SignatureDefs(i).SignatureKey().decode())
                   for i in range(model.SignatureDefsLength())))
    adapter = re.search(r"Selected adapter: (.*)", log)
    blocks, refused, counts, in_list = [], {}, None, False
    for line in log.splitlines():
        if _REFUSED_HEAD in line:
            refused, counts, in_list = {}, None, True
        elif (m := _COUNTS.search(line)):
            counts, in_list = (int(m[1]), int(m[2])), False
            if counts[0] == 0:
                blocks.append((refused, counts))
                refused, counts = {}, None
        elif _KERNEL in line:
            blocks.append((refused, counts))
            refused, counts, in_list = {}, None, False
        elif in_list and (m := re.match(r"^([A-Z0-9_]+): (.*)$", line.strip())):
            words = m[2].split()
            # Each refusal ends with the op's source location (the wrapper's module path, with ';'): drop it.
            reason = " ".join(words[:-1] if words and ";" in words[-1] else words)
            key = (m[1], reason)
            refused[key] = refused.get(key, 0) + 1
    out = {"adapter": adapter[1].strip() if adapter else None, "signatures": {}}
    if len(blocks) != model.SubgraphsLength():
        out["error"] = (f"the partition log names {len(blocks)} subgraphs, the file has {model.SubgraphsLength()}: "
                        "not attributed")
        return out
    for sg, name in sigs:
        ops = model.Subgraphs(sg).OperatorsLength()
        ref, cnt = blocks[sg]
        gpu, cpu = cnt if cnt is not None else (ops, 0)
        if gpu + cpu != ops:
            out["error"] = f"{name}: the log's {gpu} + {cpu} ops differ from the file's {ops}: not attributed"
            out["signatures"] = {}
            return out
        out["signatures"][name] = {"ops": ops, "gpu_ops": gpu, "cpu_ops": cpu,
                                   "refused": [{"op": op, "reason": why, "count": n}
                                               for (op, why), n in sorted(ref.items())]}
    return out


def _row(r) -> dict:
    tol = r.tolerance or r.variant.precision.tolerance
    return {"variant": r.row, "component": r.variant.component.value, "precision": r.variant.precision.suffix,
            "seq_len": r.variant.seq_len, "file": r.file, "status": r.stage.value, "passed": r.passed,
            "failures": r.failures, "judged": r.judged, "tolerance": asdict(tol), "stats": r.stats,
            "timing_ms": r.timing_ms}


def _bundle(manifest, precision: Precision):
    return next((a for a in manifest.artifacts.values()
                 if a.layout is Layout.BUNDLE and a.precision is precision), None)


def _run_file(model, manifest, folder: Path, art, setting: Setting, tolerance, adapter: Adapter, *, thresholds,
              judge_entities: bool, items, suite_limit, log) -> dict:
    from validate import harness

    opener = Opener(adapter, setting)
    only = {g.variant.id_in(Layout.BUNDLE) for g in art.graphs}
    t = time.time()
    try:
        results, _ = harness.run(model, manifest, folder, thresholds, only, None, judge_entities,
                                 log=lambda m: log(f"[gpu {setting.name}] {m}"), items=items, suite_limit=suite_limit,
                                 opener=opener, tolerance=tolerance)
    finally:
        opener.close()
    path = folder / art.file
    first = opener.first.get(path.resolve()) or opener.first.get(path)
    part = partitions(first.partition_log(), path) if first else {"signatures": {}, "error": opener.errors.get(path)}
    return {"file": art.file, "setting": setting.name, "enforce_f32": setting.enforce_f32,
            "opened": first is not None, "open_error": opener.errors.get(path),
            "fully_accelerated": first.fully_accelerated if first else None,
            "open_s": round(first.open_s, 2) if first else None, "seconds": round(time.time() - t, 1),
            "partitions": part, "rows": [_row(r) for r in results],
            "passed": bool(results) and all(r.passed for r in results)}


def run_stage(model, manifest, folder: Path, adapter: Adapter, *, thresholds, judge_entities: bool = True,
              items=None, suite_limit=None, log=print) -> dict:
    """The fp32 bundle in every setting of SETTINGS (judged: `passed`), and the int8 bundle in both (its outcome,
    reported, not judged: dynamic-range int8 is not what a GPU app ships)."""
    from common.machine import tool_versions

    out = {"adapter": {"mesa": adapter.mesa, "folder": str(adapter.folder)},
           "versions": {"ai-edge-litert": tool_versions(["ai-edge-litert"])["ai-edge-litert"], "mesa": adapter.mesa,
                        "dawn": "built into ai-edge-litert's libLiteRtWebGpuAccelerator.so (no version string)"},
           "runs": [], "int8": []}
    kw = dict(thresholds=thresholds, judge_entities=judge_entities, items=items, suite_limit=suite_limit, log=log)
    fp32 = _bundle(manifest, Precision.FP32)
    if fp32 is None:
        out["error"] = "the folder has no fp32 bundle (convert with --layout bundle --precisions fp32)"
    else:
        for s in SETTINGS:
            out["runs"].append(_run_file(model, manifest, folder, fp32, s, s.tolerance, adapter, **kw))
    int8 = _bundle(manifest, Precision.INT8)
    if int8 is not None:
        # Judged by int8's own tolerance in both settings (its CPU rows' gate), but outside the stage's verdict.
        out["int8"] = [_run_file(model, manifest, folder, int8, s, None, adapter, **kw) for s in SETTINGS]
    for run in [*out["runs"], *(out["int8"] or [])]:
        adapter_name = run["partitions"].get("adapter")
        if adapter_name:
            out["adapter"]["name"] = adapter_name
    out["passed"] = bool(out["runs"]) and all(r["passed"] for r in out["runs"])
    return out
