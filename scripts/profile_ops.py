"""Per-op CPU (XNNPACK) profile of one LiteRT graph: where the time goes, by op type, by kernel and per op.

    python scripts/profile_ops.py --model build/x/text_encoder_seq256_int8.tflite [--signature NAME]
                                  [--threads 1] [--runs 20] [--json profile.json]

The Python wrappers of ai-edge-litert (Interpreter, CompiledModel) expose no profiler, so this drives the LiteRT
C API of the libLiteRt.so shipped in the ai_edge_litert wheel through ctypes (headers: google-ai-edge/LiteRT
litert/c/, v2.2.0 tag, the nearest to ai-edge-litert 2.3.0; the calls used are unchanged up to the next main):

    LiteRtCreateEnvironment -> LiteRtCreateModelFromFile -> LiteRtCreateOptions (+ CPU accelerator)
    + LiteRtCreateOpaqueOptions("runtime_options_string", "enable_profiling = true")   # what
      LrtSetRuntimeOptionsEnableProfiling would serialize; the Lrt* helpers are not exported by libLiteRt.so
    + LiteRtCreateOpaqueOptions("xnnpack", "num_threads = N")                           # LrtSetCpuOptionsNumThread
    -> LiteRtCreateCompiledModel -> LiteRtCompiledModelGetProfiler
    -> per run: LiteRtStartProfiler, LiteRtRunCompiledModel, LiteRtStopProfiler,
       LiteRtGetNumProfilerEvents + LiteRtGetProfilerEvents, LiteRtResetProfiler

With profiling on, the compiled model installs its profiler on the TFLite interpreter before XNNPACK is applied,
so XNNPACK builds its runtimes with basic profiling and reports every XNNPACK operator it ran as a
DELEGATE_PROFILED_OPERATOR_INVOKE_EVENT (tag = XNNPACK operator name, metadata1 = operator index inside that
delegate partition), while ops XNNPACK did not take run as TFLite builtin kernels and appear as
OPERATOR_INVOKE_EVENT (tag = TFLite op name, metadata1 = node index). The two sets do not overlap. Both carry
whole microseconds, truncated, so ops under 1 us count as 0: the "coverage" line (sum of ops / wall time of
the run call) says how much is left unattributed (truncation, interpreter and buffer overhead).

XNNPACK operator names are mapped to TFLite-style op types (FULLY_CONNECTED, BATCH_MATMUL, ...) so the table
reads like the graph; the exact kernel ("Fully Connected (NC, QDU8, F32, QC8W) GEMM" vs a builtin
FULLY_CONNECTED that XNNPACK declined) is kept in the kernel table. Nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import ctypes as C
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as `python scripts/profile_ops.py`: the repository root is not on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common.files import shown_path  # noqa: E402
from scripts.litert_capi import (  # noqa: E402 - the C API bindings, their own module
    ELEMENT_DTYPES, EV_DEFAULT, EV_DELEGATE_PROFILED, EV_OPERATOR, HW_CPU, LOCK_WRITE, P, STATUS_OK,
    LiteRtRankedTensorType, ProfiledEventData, _NO_DELETE, litert_lib_path, load_lib,
)

# --- XNNPACK operator name -> TFLite-style op type ------------------------------------------------------------

# First match wins, on the XNNPACK operator name's prefix (xnnpack/src/operator-strings / the delegate's names).
# Norms, GELU-as-erf, rotary etc. are decomposed by the converter, so they show up as their elementwise pieces.
XNN_OP_TYPES = [
    ("Fully Connected", "FULLY_CONNECTED"),
    ("Batch Matrix Multiply", "BATCH_MATMUL"),
    ("Dynamic Fully Connected", "FULLY_CONNECTED"),
    ("Convolution", "CONV"),
    ("Deconvolution", "CONV"),
    ("Convert", "QUANTIZE/DEQUANTIZE"),
    ("Softmax", "SOFTMAX"),
    ("GELU", "GELU"),
    ("Approximate GELU", "GELU"),
    ("Sigmoid", "ACTIVATION"), ("Tanh", "ACTIVATION"), ("Clamp", "ACTIVATION"), ("ELU", "ACTIVATION"),
    ("HardSwish", "ACTIVATION"), ("Leaky ReLU", "ACTIVATION"), ("ReLU", "ACTIVATION"),
    ("Add", "ADD"), ("Subtract", "SUB"), ("Multiply", "MUL"), ("Divide", "DIV"),
    ("Squared Difference", "SQUARED_DIFFERENCE"), ("Maximum", "MAXIMUM"), ("Minimum", "MINIMUM"),
    ("Reciprocal Square Root", "RSQRT"), ("Square Root", "SQRT"), ("Square", "SQUARE"),
    ("Sine", "SIN"), ("Cosine", "COS"), ("Exp", "EXP"), ("Log", "LOG"), ("Abs", "ABS"), ("Negate", "NEG"),
    ("Floor", "FLOOR"), ("Ceiling", "CEIL"),
    ("Mean", "MEAN"), ("Sum", "SUM"), ("Max", "REDUCE_MAX"), ("Min", "REDUCE_MIN"),
    ("Transpose", "TRANSPOSE"),
    ("Static Reshape", "RESHAPE"), ("Static Expand Dims", "RESHAPE"), ("Copy", "RESHAPE"),
    ("Slice", "SLICE"), ("Constant Pad", "PAD"), ("Concatenate", "CONCATENATION"), ("Even Split", "SPLIT"),
    ("Resize", "RESIZE"),
]


def xnn_op_type(name: str) -> str:
    for prefix, op_type in XNN_OP_TYPES:
        if name.startswith(prefix):
            return op_type
    return "XNN:" + name.split(" (")[0]  # unknown names stay visible rather than being folded into a bucket


def kernel_name(name: str) -> str:
    """XNNPACK names carry a trailing implementation word (GEMM, Transpose, Reduce2...) after the datatypes."""
    return name[: name.rfind(")") + 1] if ")" in name else name


# --- inputs ---------------------------------------------------------------------------------------------------


def make_input(name: str, dtype, shape: list[int], seq_len: int, rng: np.random.Generator) -> np.ndarray:
    """Valid-looking data: masks cover the first 3/4, spans stay inside the covered words, ids are small."""
    lname = name.lower()
    n = shape[-1] if shape else 1
    # Masks first: a seed file's word_valid_mask is float32 and still a 0/1 mask.
    if "mask" in lname or dtype == np.bool_:
        row = (np.arange(n) < max(1, (3 * n) // 4)).astype(dtype)
        return np.broadcast_to(row, shape).copy()
    if np.issubdtype(dtype, np.floating):
        return rng.standard_normal(shape).astype(dtype)
    if "span" in lname:
        return rng.integers(0, max(1, seq_len // 20), size=shape).astype(dtype)
    if "position" in lname:
        # first-subword positions: increasing token indices after [CLS]
        row = np.minimum(np.arange(n) + 1, max(seq_len - 1, 0)).astype(dtype)
        return np.broadcast_to(row, shape).copy()
    return rng.integers(1, 100, size=shape).astype(dtype)  # ids: small positive, inside any vocab


# --- the profiler ---------------------------------------------------------------------------------------------


def _ok(status: int, what: str) -> None:
    if status != STATUS_OK:
        raise RuntimeError(f"{what} failed: LiteRtStatus {status}")


class Profiler:
    """One compiled model with profiling on, its tensor buffers filled once, run and profiled run by run."""

    def __init__(self, model: Path, signature: str | None = None, threads: int = 1, seed: int = 0):
        self.lib = lib = load_lib()
        self._keep = []  # opaque-option payloads must outlive the options that point at them
        self.env, self.model, self.options, self.compiled = P(), P(), P(), P()
        self.inputs, self.outputs = [], []
        _ok(lib.LiteRtCreateEnvironment(0, None, C.byref(self.env)), "LiteRtCreateEnvironment")
        _ok(lib.LiteRtCreateModelFromFile(self.env, str(model).encode(), C.byref(self.model)),
            f"LiteRtCreateModelFromFile({model})")
        self.signature_index, self.signature_key, sig = self._find_signature(signature)
        self.op_names = self._builtin_op_names(sig)

        _ok(lib.LiteRtCreateOptions(C.byref(self.options)), "LiteRtCreateOptions")
        _ok(lib.LiteRtSetOptionsHardwareAccelerators(self.options, HW_CPU), "LiteRtSetOptionsHardwareAccelerators")
        # TOML payloads exactly as LrtGetOpaqueRuntimeOptionsData / LrtGetOpaqueCpuOptionsData write them
        self._add_opaque(b"runtime_options_string", b"enable_profiling = true\n")
        self._add_opaque(b"xnnpack", f"num_threads = {int(threads)}\n".encode())
        _ok(lib.LiteRtCreateCompiledModel(self.env, self.model, self.options, C.byref(self.compiled)),
            "LiteRtCreateCompiledModel")
        self.profiler = P()
        _ok(lib.LiteRtCompiledModelGetProfiler(self.compiled, C.byref(self.profiler)), "LiteRtCompiledModelGetProfiler")
        if not self.profiler.value:
            raise RuntimeError("compiled model has no profiler: enable_profiling was not honoured")

        self.input_specs = self._make_buffers(sig, "Input", self.inputs)
        self._make_buffers(sig, "Output", self.outputs)
        seq_len = max([s["shape"][-1] for s in self.input_specs if s["shape"] and s["dtype"] != "float32"] or [1])
        rng = np.random.default_rng(seed)
        for spec, buf in zip(self.input_specs, self.inputs):
            data = make_input(spec["name"], np.dtype(spec["dtype"]).type, spec["shape"], seq_len, rng)
            self._write(buf, data)
        self._in = (P * len(self.inputs))(*self.inputs)
        self._out = (P * len(self.outputs))(*self.outputs)

    # setup helpers

    def _find_signature(self, wanted: str | None):
        lib, n = self.lib, C.c_size_t()
        _ok(lib.LiteRtGetNumModelSignatures(self.model, C.byref(n)), "LiteRtGetNumModelSignatures")
        keys = []
        for i in range(n.value):
            sig, key = P(), C.c_char_p()
            _ok(lib.LiteRtGetModelSignature(self.model, i, C.byref(sig)), "LiteRtGetModelSignature")
            _ok(lib.LiteRtGetSignatureKey(sig, C.byref(key)), "LiteRtGetSignatureKey")
            keys.append(key.value.decode())
            if wanted is None or keys[-1] == wanted:
                return i, keys[-1], sig
        raise SystemExit(f"signature {wanted!r} not in model; it has {keys}")

    def _builtin_op_names(self, sig) -> dict[int, str]:
        """TFLite node index -> first output tensor name, to say which builtin op a top-15 row is (best effort)."""
        lib, names = self.lib, {}
        sub, n = P(), C.c_size_t()
        if lib.LiteRtGetSignatureSubgraph(sig, C.byref(sub)) or lib.LiteRtGetNumSubgraphOps(sub, C.byref(n)):
            return names
        for i in range(n.value):
            op, tensor, name, n_out = P(), P(), C.c_char_p(), C.c_size_t()
            if (lib.LiteRtGetSubgraphOp(sub, i, C.byref(op)) or lib.LiteRtGetNumOpOutputs(op, C.byref(n_out))
                    or not n_out.value or lib.LiteRtGetOpOutput(op, 0, C.byref(tensor))
                    or lib.LiteRtGetTensorName(tensor, C.byref(name))):
                continue
            names[i] = (name.value or b"").decode(errors="replace")
        return names

    def _add_opaque(self, identifier: bytes, toml: bytes) -> None:
        payload = C.create_string_buffer(toml)
        self._keep.append(payload)
        opaque = P()
        _ok(self.lib.LiteRtCreateOpaqueOptions(identifier, C.cast(payload, P), _NO_DELETE, C.byref(opaque)),
            "LiteRtCreateOpaqueOptions")
        _ok(self.lib.LiteRtAddOpaqueOptions(self.options, opaque), "LiteRtAddOpaqueOptions")  # options own it now

    def _make_buffers(self, sig, kind: str, out: list) -> list[dict]:
        lib, n, specs = self.lib, C.c_size_t(), []
        _ok(getattr(lib, f"LiteRtGetNumSignature{kind}s")(sig, C.byref(n)), f"LiteRtGetNumSignature{kind}s")
        for i in range(n.value):
            name, tensor, ttype, req, buf = C.c_char_p(), P(), LiteRtRankedTensorType(), P(), P()
            _ok(getattr(lib, f"LiteRtGetSignature{kind}Name")(sig, i, C.byref(name)), "signature name")
            _ok(getattr(lib, f"LiteRtGetSignature{kind}TensorByIndex")(sig, i, C.byref(tensor)), "signature tensor")
            _ok(lib.LiteRtGetRankedTensorType(tensor, C.byref(ttype)), "LiteRtGetRankedTensorType")
            _ok(getattr(lib, f"LiteRtGetCompiledModel{kind}BufferRequirements")(
                self.compiled, self.signature_index, i, C.byref(req)), f"{kind} buffer requirements")
            _ok(lib.LiteRtCreateManagedTensorBufferFromRequirements(self.env, C.byref(ttype), req, C.byref(buf)),
                "LiteRtCreateManagedTensorBufferFromRequirements")
            out.append(buf)
            rank = ttype.layout.bits & 0x7F
            dtype = ELEMENT_DTYPES.get(ttype.element_type)
            if kind == "Input" and dtype is None:
                raise SystemExit(f"input {name.value!r}: element type {ttype.element_type} not supported here")
            specs.append({"name": name.value.decode(), "shape": list(ttype.layout.dimensions[:rank]),
                          "dtype": np.dtype(dtype).name if dtype else str(ttype.element_type)})
        return specs

    def _write(self, buf, data: np.ndarray) -> None:
        size, addr = C.c_size_t(), P()
        _ok(self.lib.LiteRtGetTensorBufferPackedSize(buf, C.byref(size)), "LiteRtGetTensorBufferPackedSize")
        raw = np.ascontiguousarray(data).tobytes()
        if len(raw) != size.value:
            raise RuntimeError(f"input is {len(raw)} bytes, buffer wants {size.value}")
        _ok(self.lib.LiteRtLockTensorBuffer(buf, C.byref(addr), LOCK_WRITE), "LiteRtLockTensorBuffer")
        C.memmove(addr, raw, len(raw))
        _ok(self.lib.LiteRtUnlockTensorBuffer(buf), "LiteRtUnlockTensorBuffer")

    # running

    def run(self) -> float:
        t0 = time.perf_counter()
        _ok(self.lib.LiteRtRunCompiledModel(self.compiled, self.signature_index, len(self.inputs), self._in,
                                            len(self.outputs), self._out), "LiteRtRunCompiledModel")
        return (time.perf_counter() - t0) * 1e3

    def profiled_run(self) -> tuple[float, list[tuple[str, int, int, int]]]:
        """(wall ms, events as (tag, type, elapsed us, metadata1)) of one run; one run per window keeps the
        events of different runs apart and the profiler's buffer small."""
        lib = self.lib
        _ok(lib.LiteRtResetProfiler(self.profiler), "LiteRtResetProfiler")
        _ok(lib.LiteRtStartProfiler(self.profiler), "LiteRtStartProfiler")
        wall = self.run()
        _ok(lib.LiteRtStopProfiler(self.profiler), "LiteRtStopProfiler")
        n = C.c_int()
        _ok(lib.LiteRtGetNumProfilerEvents(self.profiler, C.byref(n)), "LiteRtGetNumProfilerEvents")
        if n.value <= 0:
            return wall, []
        events = (ProfiledEventData * n.value)()
        _ok(lib.LiteRtGetProfilerEvents(self.profiler, n.value, events), "LiteRtGetProfilerEvents")
        return wall, [((e.tag or b"").decode(errors="replace"), e.event_type, e.elapsed_time_us, e.event_metadata1)
                      for e in events]

    def close(self) -> None:
        lib = self.lib
        for buf in self.inputs + self.outputs:
            lib.LiteRtDestroyTensorBuffer(buf)
        self.inputs, self.outputs = [], []
        for handle, destroy in ((self.compiled, lib.LiteRtDestroyCompiledModel),
                                (self.options, lib.LiteRtDestroyOptions), (self.model, lib.LiteRtDestroyModel),
                                (self.env, lib.LiteRtDestroyEnvironment)):
            if handle.value:
                destroy(handle)
                handle.value = None


# --- aggregation ----------------------------------------------------------------------------------------------


def summarize(runs: list[tuple[float, list]], op_names: dict[int, str] | None = None, stat: str = "median") -> dict:
    """Time per run by op type, by kernel and per individual op, plus coverage of the run call's wall time.

    Each row is the `stat` (median by default: other jobs on a shared machine preempt some runs, and a median
    ignores them) over runs of that row's total in the run; ops_ms is the sum of the op-type rows, so the table
    adds up, and coverage compares it with the same statistic of the wall time.
    """
    op_names = op_names or {}
    n = len(runs)
    agg = statistics.median if stat == "median" else statistics.fmean
    # key -> [per-run us], [per-run count]; rows missing from a run count as 0 there
    by_type, by_kernel, by_op = ({}, {}, {})
    info = {}  # row key -> descriptive fields
    invoke_us, overhead = [], defaultdict(lambda: [0] * n)

    def add(table: dict, key, run: int, us: int) -> None:
        row = table.setdefault(key, ([0] * n, [0] * n))
        row[0][run] += us
        row[1][run] += 1

    for run, (_, events) in enumerate(runs):
        partition = -1
        for tag, etype, us, meta1 in events:
            if etype == EV_DELEGATE_PROFILED:
                # XNNPACK numbers operators from 0 in each delegate partition, and reports a partition in one go
                if meta1 == 0:
                    partition += 1
                op_type, kernel = xnn_op_type(tag), "xnnpack: " + kernel_name(tag)
                op_key = (f"xnnpack#{partition}", meta1)
                label = f"xnnpack partition {partition} op {meta1}"
            elif etype == EV_OPERATOR:
                op_type, kernel = tag, "builtin: " + tag
                op_key = ("builtin", meta1)
                label = f"builtin node {meta1}"
                if meta1 in op_names:  # the tail of a converter tensor name is the part that differs
                    name = op_names[meta1]
                    label += " -> " + (name if len(name) <= 31 else "..." + name[-28:])
            else:
                if etype == EV_DEFAULT and tag == "Invoke":
                    invoke_us.append(us)
                elif etype == EV_DEFAULT:  # LiteRT's own buffer registration / sync around Invoke
                    overhead[tag][run] += us
                continue  # telemetry events carry statuses, not times
            add(by_type, op_type, run, us)
            add(by_kernel, kernel, run, us)
            add(by_op, op_key, run, us)
            info[kernel] = {"op_type": op_type}
            info[op_key] = {"op": label, "op_type": op_type, "kernel": kernel}

    walls = [w for w, _ in runs]
    wall = agg(walls)

    def rows(table: dict, first: str) -> list[dict]:
        out = []
        for key, (us, count) in table.items():
            ms = agg(us) / 1e3
            row = {first: key} if first else {}
            row.update(info.get(key, {}))
            row.update(ms=ms, pct=100.0 * ms / wall if wall else 0.0, count=statistics.fmean(count))
            out.append(row)
        return sorted(out, key=lambda r: -r["ms"])

    op_types = rows(by_type, "op_type")
    ops_ms = sum(r["ms"] for r in op_types)
    return {
        "runs": n,
        "stat": stat,
        "wall_ms": {"mean": statistics.fmean(walls), "median": statistics.median(walls), "min": min(walls)},
        "invoke_ms": agg(invoke_us) / 1e3 if invoke_us else None,
        "ops_ms": ops_ms,
        "coverage": ops_ms / wall if wall else 0.0,
        "runtime_overhead_ms": {k: agg(v) / 1e3 for k, v in overhead.items()},
        "op_types": op_types,
        "kernels": rows(by_kernel, "kernel"),
        "top_ops": [{k: v for k, v in r.items() if k != "count"} for r in rows(by_op, "")[:15]],
    }


def profile(model: Path, signature: str | None = None, threads: int = 1, runs: int = 20, warmup: int = 3,
            seed: int = 0, stat: str = "median") -> dict:
    prof = Profiler(model, signature, threads, seed)
    try:
        for _ in range(warmup):  # first runs pay for XNNPACK packing and allocation
            prof.run()
        result = summarize([prof.profiled_run() for _ in range(runs)], prof.op_names, stat)
        result.update(model=shown_path(model), signature=prof.signature_key, threads=threads, warmup=warmup,
                      inputs=prof.input_specs, lib=shown_path(litert_lib_path()))
        return result
    finally:
        prof.close()


# --- output ---------------------------------------------------------------------------------------------------


def render(r: dict) -> str:
    w = r["wall_ms"]
    lines = [
        f"{r['model']}  signature={r['signature']}  threads={r['threads']}  runs={r['runs']} (+{r['warmup']} warm-up)",
        f"run call wall: mean {w['mean']:.3f} ms, median {w['median']:.3f}, min {w['min']:.3f}; rows are per-run "
        f"{r['stat']}s; interpreter Invoke "
        + (f"{r['invoke_ms']:.3f} ms" if r["invoke_ms"] is not None else "n/a")
        + f"; ops sum {r['ops_ms']:.3f} ms = {100 * r['coverage']:.1f}% of the wall {r['stat']}",
        "",
        f"{'op type':<24}{'ms/run':>10}{'% wall':>9}{'count':>8}",
    ]
    lines += [f"{t['op_type']:<24}{t['ms']:>10.3f}{t['pct']:>8.1f}%{t['count']:>8.0f}" for t in r["op_types"]]
    lines += ["", f"{'kernel':<56}{'ms/run':>10}{'% wall':>9}{'count':>8}"]
    lines += [f"{k['kernel'][:55]:<56}{k['ms']:>10.3f}{k['pct']:>8.1f}%{k['count']:>8.0f}" for k in r["kernels"]]
    lines += ["", f"top {len(r['top_ops'])} ops", f"{'op':<60}{'kernel':<50}{'ms/run':>9}{'% wall':>8}"]
    lines += [f"{o['op'][:59]:<60}{o['kernel'][:49]:<50}{o['ms']:>9.3f}{o['pct']:>7.1f}%" for o in r["top_ops"]]
    return "\n".join(lines)


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, type=Path, help="a .tflite file")
    ap.add_argument("--signature", help="signature key (default: the first)")
    ap.add_argument("--threads", type=int, default=1, help="XNNPACK threads")
    ap.add_argument("--runs", type=int, default=20, help="profiled runs, averaged")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--stat", choices=("median", "mean"), default="median", help="per-run statistic of every row")
    ap.add_argument("--json", type=Path, help="also write the profile here")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.runs < 1:
        raise SystemExit("--runs must be >= 1")
    result = profile(args.model, args.signature, args.threads, args.runs, args.warmup, args.seed, args.stat)
    print(render(result))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
