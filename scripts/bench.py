"""Benchmarks an artifacts folder: LiteRT latency, memory, size vs PyTorch and ONNX Runtime -> bench.json -> Markdown.

    python scripts/bench.py --model DIR --artifacts DIR [--runs 10 --threads 1 2 ...]
    python scripts/bench.py --render-only build/x/bench.json --doc docs/BENCHMARKS.md

bench.json is the truth; the Markdown is drawn from it alone. Nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCHEMA_VERSION = 1
DEFAULT_DOC = ROOT / "docs" / "BENCHMARKS.md"
EVAL_SUITE = ROOT / "validate" / "suite" / "eval_suite_v1.jsonl"
from validate.suite import CORE_LABELS  # noqa: E402 (stdlib only)

# Realistic entity types, the first --num-labels of which are used everywhere (graphs pad to 25).
LABEL_POOL = CORE_LABELS + (
    "government agency",
    "job title",
    "city",
    "country",
    "company",
    "law",
    "drug",
    "vehicle",
    "email",
    "url",
    "phone number",
    "programming language",
    "chemical compound",
    "court case",
    "stock ticker",
    "nationality",
    "gene",
)
E2E_WORDS = (10, 40, 150, 600, 2000)
STAGES = ("split_tokenize", "labels_cold", "labels_cached", "inputs", "text_graph", "decode")
BASELINES = ("torch_upstream", "torch_wrapper", "ort_fp32", "ort_int8")
TOOLS = (
    "torch",
    "ai-edge-litert",
    "litert-torch",
    "ai-edge-quantizer",
    "onnx",
    "onnxruntime",
    "onnxscript",
    "gliner",
    "transformers",
    "tokenizers",
    "numpy",
)
# One large fully-connected layer (ettin-150m's MLP input width x a 4x expansion) as the machine's matmul ceiling.
PEAK_FC = (1024, 768, 3072)  # rows, in_features, out_features


def log(msg: str) -> None:
    print(f"[bench] {msg}", flush=True)


def log_start(what: str) -> None:
    """The first half of a progress line; `report` ends it when the measurement is done (minutes at large S)."""
    print(f"[bench] {what}: ", end="", flush=True)


def report(stats: dict) -> dict:
    print(f"median {_ms(stats['median_ms'])} ms, p90 {_ms(stats['p90_ms'])} ms", flush=True)
    return stats


# ---------------------------------------------------------------------------------------------- timing


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


# ---------------------------------------------------------------------------------------------- machine


def _cpuinfo() -> tuple[str, int | None, list[str]]:
    """CPU model, physical cores and the SIMD flags that decide XNNPACK's and ORT's kernels."""
    model, cores, flags = platform.processor() or "unknown", set(), []
    phys = core = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, val = (x.strip() for x in line.partition(":"))
            if key == "model name":
                model = val
            elif key == "physical id":
                phys = val
            elif key == "core id":
                core = val
                cores.add((phys, core))
            elif key == "flags" and not flags:
                wanted = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "avx_vnni", "amx_tile", "amx_int8")
                have = set(val.split())
                flags = [f for f in wanted if f in have]
    except OSError:
        pass
    return model, (len(cores) or None), flags


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.system()


def _mem_total_bytes() -> int | None:
    from common.memory import proc_kib_bytes

    return proc_kib_bytes("/proc/meminfo", "MemTotal")


def tool_versions() -> dict[str, str]:
    from convert.run import tool_versions as versions

    return versions(TOOLS)


def describe_machine() -> dict:
    model, phys, flags = _cpuinfo()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "cpu": model,
        "logical_cpus": os.cpu_count(),
        "physical_cores": phys,
        "usable_cpus": usable,
        "simd": flags,
        "ram_bytes": _mem_total_bytes(),
        "os": _os_name(),
        "kernel": platform.release(),
        "arch": platform.machine(),
        "load_avg_start": list(os.getloadavg()),
    }


# ---------------------------------------------------------------------------------------------- texts


def text_pool() -> str:
    """The bundled eval suite's texts, one after another: realistic prose with entities, enough for 8192 tokens."""
    texts = [json.loads(line)["text"] for line in EVAL_SUITE.read_text(encoding="utf-8").splitlines() if line.strip()]
    return " ".join(" ".join(t.split()) for t in texts)


def first_words(splitter, text: str, n: int) -> str:
    """The prefix of `text` holding its first n words (cycling the text if it has fewer)."""
    while True:
        spans = list(splitter(text))
        if len(spans) >= n:
            return text[: spans[n - 1][2]]
        text = text + " " + text


def fill_text(model, seq_len: int, fraction: float) -> str:
    """A text whose token count (specials included) is the largest <= fraction * seq_len, from the pool.

    Token counts per word are additive under is_split_into_words, so one encoding of a long prefix gives
    the cut; the result is re-tokenized to make sure it fits.
    """
    tok = model.data_processor.transformer_tokenizer
    splitter = model.data_processor.words_splitter
    budget = int(fraction * seq_len)
    text = first_words(splitter, text_pool(), seq_len)  # >= seq_len words hold >= seq_len tokens
    spans = list(splitter(text))
    enc = tok([w for w, _, _ in spans], is_split_into_words=True, truncation=False)
    specials = tok.num_special_tokens_to_add(False)
    counts = [0] * len(spans)
    for wid in enc.word_ids():
        if wid is not None:
            counts[wid] += 1
    used, n = specials, 0
    while n < len(spans) and used + counts[n] <= budget:
        used += counts[n]
        n += 1
    while n > 1:
        cut = text[: spans[n - 1][2]]
        words = [w for w, _, _ in splitter(cut)]
        if len(tok(words, is_split_into_words=True, truncation=False)["input_ids"]) <= budget:
            return cut
        n -= 1
    raise ValueError(f"no text fits {budget} tokens")


# ---------------------------------------------------------------------------------------------- inputs


def upstream_labels_inputs(model, labels: list[str]) -> dict:
    """The labels graph's [25, 32] ids and mask, tokenized by the upstream labels tokenizer."""
    from common.inputs import build_labels_inputs

    tok = model.data_processor.labels_tokenizer
    encs = [tok(label)["input_ids"] for label in labels]
    return build_labels_inputs(encs, tok("")["input_ids"])


def upstream_text_inputs(model, text: str, seq_len: int, embeds, pad_token_id: int):
    """The text graph's six arrays for `text` at S = seq_len (upstream words and tokens, no truncation)."""
    from common.inputs import build_text_inputs

    words = [w for w, _, _ in model.data_processor.words_splitter(text)]
    enc = model.data_processor.transformer_tokenizer(words, is_split_into_words=True, truncation=False)
    return build_text_inputs(
        list(enc["input_ids"]),
        list(enc.word_ids()),
        len(words),
        seq_len,
        model.config.max_width,
        embeds,
        pad_token_id=pad_token_id,
    )


# ---------------------------------------------------------------------------------------------- graph facts


def matmul_flops(path: Path) -> int:
    """2*M*N*K summed over FULLY_CONNECTED and BATCH_MATMUL ops, shapes read from the flatbuffer.

    The ops that dominate a transformer; elementwise, softmax and gathers are left out, so this is a floor.
    """
    import numpy as np
    from ai_edge_litert import schema_py_generated as schema

    model = schema.Model.GetRootAsModel(Path(path).read_bytes(), 0)
    fc, bmm = schema.BuiltinOperator.FULLY_CONNECTED, schema.BuiltinOperator.BATCH_MATMUL
    total = 0
    for g in range(model.SubgraphsLength()):
        sg = model.Subgraphs(g)
        for j in range(sg.OperatorsLength()):
            op = sg.Operators(j)
            oc = model.OperatorCodes(op.OpcodeIndex())
            code = max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())
            if code not in (fc, bmm):
                continue
            ins = op.InputsAsNumpy()
            out = [int(x) for x in sg.Tensors(int(op.OutputsAsNumpy()[0])).ShapeAsNumpy()]
            if code == fc:
                k = int(sg.Tensors(int(ins[1])).ShapeAsNumpy()[-1])  # weights are [N, K]
            else:
                a = sg.Tensors(int(ins[0])).ShapeAsNumpy()
                opts = schema.BatchMatMulOptions()
                table = op.BuiltinOptions()
                adj_x = False
                if table is not None:
                    opts.Init(table.Bytes, table.Pos)
                    adj_x = bool(opts.AdjX())
                k = int(a[-2] if adj_x else a[-1])
            total += 2 * int(np.prod(out)) * k
    return total


# ---------------------------------------------------------------------------------------------- LiteRT


def litert_runner(path: Path, threads: int, signature: str | None = None):
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_path=str(path), num_threads=threads)
    return interp.get_signature_runner(signature)


def bench_litert(path: Path, arrays: dict, threads: int, runs: int, warmup: int, signature: str | None) -> dict:
    runner = litert_runner(path, threads, signature)
    return summarize(time_calls(lambda: runner(**arrays), runs, warmup))


def child_rss(npz: str, model_path: str | None, threads: int, signature: str | None) -> None:
    """--child-rss mode: load the inputs, optionally load and run one graph, print this process's peak RSS.

    Without a graph it measures the bare process (Python, numpy, the LiteRT module), the floor to subtract.
    """
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter  # noqa: F401  imported in both modes: same floor

    arrays = dict(np.load(npz))
    if model_path:
        # One call: tensors are allocated and XNNPACK packs its weights on the first; later ones reuse them.
        litert_runner(Path(model_path), threads, signature)(**arrays)
    print(json.dumps({"maxrss_bytes": peak_rss_bytes()}))


def peak_rss_bytes() -> int:
    from common.memory import peak_rss_bytes as peak

    return peak()


def measure_rss(path: Path | None, arrays: dict, threads: int, signature: str | None, workdir: Path) -> int:
    """Peak RSS of a fresh process that only loads and runs `path` (None: the bare process)."""
    import numpy as np

    npz = workdir / "rss_inputs.npz"
    np.savez(npz, **arrays)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child-rss", str(npz), "--threads", str(threads)]
    if path is not None:
        cmd += ["--child-model", str(path)]
    if signature:
        cmd += ["--child-signature", signature]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise RuntimeError(f"RSS child failed ({res.returncode}): {res.stderr.strip()[-2000:]}")
    return int(json.loads(res.stdout.strip().splitlines()[-1])["maxrss_bytes"])


# ---------------------------------------------------------------------------------------------- PyTorch


def bench_torch(fn, threads: int, runs: int, warmup: int) -> dict:
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with torch.inference_mode():
            return summarize(time_calls(fn, runs, warmup))
    finally:
        torch.set_num_threads(before)


def upstream_text_call(model, text: str, labels: list[str], embeds):
    """`model.model(**batch, labels_embeds=...)` on the batch gliner builds for this text (dynamic length)."""
    import torch

    prep = model.prepare_batch([text], labels)
    batch = model.collate_batch(prep["input_x"], prep["entity_types"])
    keys = ("input_ids", "attention_mask", "words_mask", "text_lengths", "span_idx", "span_mask")
    kwargs = {k: batch[k] for k in keys}
    emb = torch.from_numpy(embeds)
    words = int(batch["text_lengths"][0, 0])
    return (lambda: model.model(**kwargs, labels_embeds=emb)), {
        "tokens": int(kwargs["input_ids"].shape[1]),
        "words": words,
    }


def upstream_labels_call(model, labels: list[str]):
    """token_rep_layer.encode_labels on the labels padded to the longest, as predict_entities' collator does
    (GLiNER.encode_labels pads to the tokenizer's max_length instead, far slower)."""
    tok = model.data_processor.labels_tokenizer(labels, return_tensors="pt", truncation=True, padding="longest")
    enc = model.model.token_rep_layer.encode_labels
    return (lambda: enc(**tok)), {"tokens": int(tok["input_ids"].shape[1]), "labels": len(labels)}


def wrapper_module(model, component: str, seq_len: int | None, fuse_span_head: bool):
    from wrappers import LabelsEncoderWrapper, TextEncoderWrapper

    if component == "labels":
        return LabelsEncoderWrapper(model).eval()
    return TextEncoderWrapper(model, seq_len, fuse_span_head=fuse_span_head).eval()


# ---------------------------------------------------------------------------------------------- ONNX Runtime


def export_onnx(module, tensors: dict, dest: Path) -> str:
    """torch.onnx.export of a wrapper at its static shapes; the dynamo exporter, else the TorchScript one.

    Returns the exporter that worked ("dynamo" or "torchscript").
    """
    import torch

    errors = []
    for dynamo in (True, False):
        try:
            # The exporters print progress and diagnostics to stdout; the bench's own lines stay readable.
            with contextlib.redirect_stdout(io.StringIO()):
                torch.onnx.export(
                    module,
                    tuple(tensors.values()),
                    str(dest),
                    input_names=list(tensors),
                    output_names=["output"],
                    dynamo=dynamo,
                    external_data=False,
                )
            return "dynamo" if dynamo else "torchscript"
        except Exception as e:  # noqa: BLE001  any exporter failure falls through to the other exporter
            errors.append(f"dynamo={dynamo}: {type(e).__name__}: {str(e)[:300]}")
            dest.unlink(missing_ok=True)
    raise RuntimeError("torch.onnx.export failed: " + " | ".join(errors))


def quantize_onnx(src: Path, dest: Path) -> None:
    """ORT's dynamic int8 quantization: int8 weights, activations quantized at run time (LiteRT int8's analogue)."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    # quantize_dynamic logs a pre-processing hint on every call through the root logger.
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        quantize_dynamic(str(src), str(dest), weight_type=QuantType.QInt8)
    finally:
        root.setLevel(level)


def bench_ort(path: Path, arrays: dict, threads: int, runs: int, warmup: int) -> dict:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    feed = {i.name: arrays[i.name] for i in sess.get_inputs()}
    return summarize(time_calls(lambda: sess.run(None, feed), runs, warmup))


# ---------------------------------------------------------------------------------------------- one graph


def graph_groups(manifest: dict, precisions: list[str], max_seq_len: int | None, quick: bool):
    """Manifest entries grouped by (component, seq_len): the graphs that take the same inputs."""
    from common.variants import Variant

    groups: dict[tuple, list[tuple]] = {}
    for stem, entry in manifest["artifacts"].items():
        try:
            v = Variant.from_stem(stem)
        except ValueError:
            continue
        if v.precision.suffix not in precisions:
            continue
        if v.seq_len is not None and max_seq_len is not None and v.seq_len > max_seq_len:
            continue
        groups.setdefault((v.component.value, v.seq_len), []).append((v, entry))
    keys = sorted(groups, key=lambda k: (k[0] == "text", k[1] or 0))
    if quick:
        texts = [k for k in keys if k[0] == "text"]
        keys = [k for k in keys if k[0] == "labels"] + texts[:1]
    return [(k, sorted(groups[k], key=lambda ve: ve[0].sort_key)) for k in keys]


def bench_litert_group(ctx, entries, arrays: dict, input_facts: dict) -> list[dict]:
    """Latency at each thread count, peak RSS, size and FLOPs of every graph of one group."""
    rows = []
    for v, entry in entries:
        path = ctx.artifacts / entry["file"]
        sig = entry.get("signature")
        row = {
            "variant": str(v),
            "component": v.component.value,
            "seq_len": v.seq_len,
            "precision": v.precision.suffix,
            "file": entry["file"],
            "bytes": path.stat().st_size,
            "flops": matmul_flops(path),
            "input": input_facts,
            "litert": [],
        }
        for n in ctx.threads:
            log_start(f"{v}: LiteRT, {n} thread(s)")
            timing = {"threads": n, **report(bench_litert(path, arrays, n, ctx.runs, ctx.warmup, sig))}
            if ctx.peak is not None and v.precision.suffix in ctx.peak.files:
                c = ctx.peak.measure(v.precision.suffix, n)
                timing["ceiling"] = {k: c[k] for k in ("median_ms", "gflops_per_s")}
            row["litert"].append(timing)
        rss_threads = max(ctx.threads)
        gc.collect()  # the timing interpreter's arena is gone before a child allocates its own
        peak = measure_rss(path, arrays, rss_threads, sig, ctx.workdir)
        base = measure_rss(None, arrays, rss_threads, sig, ctx.workdir)
        row["rss"] = {
            "threads": rss_threads,
            "peak_bytes": peak,
            "bare_process_bytes": base,
            "graph_bytes": peak - base,
        }
        log(f"{v}: peak RSS {peak / 2**20:.0f} MiB ({(peak - base) / 2**20:.0f} MiB over a bare process)")
        rows.append(row)
    return rows


def bench_baselines_group(
    ctx, component: str, seq_len: int | None, arrays: dict, upstream
) -> tuple[list[dict], list[str]]:
    """torch upstream, torch wrapper, ORT fp32 and ORT int8 on the same inputs, at each thread count."""
    import torch

    rows, notes = [], []
    label = f"{component}" + (f" S={seq_len}" if seq_len else "")
    if seq_len is not None and seq_len > ctx.compare_max_seq_len:
        notes.append(
            f"{label}: PyTorch and ONNX Runtime comparisons skipped (S > --compare-max-seq-len "
            f"{ctx.compare_max_seq_len}: their memory grows with S^2 and would risk the machine)"
        )
        return rows, notes
    tensors = {k: torch.from_numpy(v) for k, v in arrays.items()}
    module = wrapper_module(ctx.model, component, seq_len, ctx.fuse_span_head)
    if not ctx.skip_torch:
        up_fn, up_facts = upstream()
        for n in ctx.threads:
            log_start(f"{label}: PyTorch upstream, {n} thread(s)")
            rows.append(
                {
                    "runtime": "torch_upstream",
                    "component": component,
                    "seq_len": seq_len,
                    "threads": n,
                    "input": up_facts,
                    **report(bench_torch(up_fn, n, ctx.runs, ctx.warmup)),
                }
            )
            log_start(f"{label}: PyTorch wrapper, {n} thread(s)")
            rows.append(
                {
                    "runtime": "torch_wrapper",
                    "component": component,
                    "seq_len": seq_len,
                    "threads": n,
                    **report(bench_torch(lambda: module(**tensors), n, ctx.runs, ctx.warmup)),
                }
            )
    if not ctx.ort_note:  # else one run-wide note says why
        rows_ort, note = _bench_ort_group(ctx, label, component, seq_len, module, tensors, arrays)
        rows += rows_ort
        notes += [note] if note else []
    return rows, notes


def _bench_ort_group(ctx, label, component, seq_len, module, tensors, arrays) -> tuple[list[dict], str | None]:
    folder = Path(tempfile.mkdtemp(prefix=f"onnx-{component}-", dir=ctx.workdir))
    fp32, int8 = folder / "model.onnx", folder / "model_int8.onnx"
    log(f"{label}: exporting the wrapper to ONNX")
    t = time.perf_counter()
    try:
        exporter = export_onnx(module, tensors, fp32)
        quantize_onnx(fp32, int8)
    except Exception as e:  # noqa: BLE001  reported, the rest of the bench goes on
        return [], f"{label}: ONNX export or quantization failed, ORT skipped: {type(e).__name__}: {str(e)[:400]}"
    export_s = time.perf_counter() - t
    rows = []
    for name, path in (("ort_fp32", fp32), ("ort_int8", int8)):
        for n in ctx.threads:
            log_start(f"{label}: ONNX Runtime {name[4:]}, {n} thread(s)")
            rows.append(
                {
                    "runtime": name,
                    "component": component,
                    "seq_len": seq_len,
                    "threads": n,
                    "bytes": path.stat().st_size,
                    "exporter": exporter,
                    "export_seconds": round(export_s, 2),
                    **report(bench_ort(path, arrays, n, ctx.runs, ctx.warmup)),
                }
            )
    shutil.rmtree(folder)  # a full-size pair is ~1 GB; the next bucket's export needs the disk
    return rows, None


def attach_ratios(graphs: list[dict], baselines: list[dict]) -> None:
    """LiteRT median / other median, pair by pair at the same graph inputs and thread count (< 1: LiteRT faster)."""
    index = {(b["component"], b["seq_len"], b["threads"], b["runtime"]): b["median_ms"] for b in baselines}
    for g in graphs:
        for row in g["litert"]:
            row["vs"] = {
                name: row["median_ms"] / index[key]
                for name in BASELINES
                if (key := (g["component"], g["seq_len"], row["threads"], name)) in index
            }


# ---------------------------------------------------------------------------------------------- peak FC


def build_peak_fc(folder: Path, precisions: list[str]) -> dict[str, Path]:
    """One nn.Linear converted by litert-torch, and its quantized copies as the artifacts' encoder layers are
    quantized (for int8: dynamic int8, the kernel that carries the graph's FLOPs)."""
    import litert_torch
    import torch

    from common.variants import Precision
    from convert.export import ENCODER_LAYER_RECIPE, quantize

    rows, k, n = PEAK_FC
    torch.manual_seed(0)
    linear = torch.nn.Linear(k, n).eval()
    fp32 = folder / "peak_fc_fp32.tflite"
    with contextlib.redirect_stdout(io.StringIO()):
        litert_torch.convert(linear, (torch.randn(rows, k),)).export(str(fp32))
    out = {}
    for name in precisions:
        p = Precision.parse(name)
        if p.recipe is None:
            out[name] = (fp32, None)
        else:
            dest = folder / f"peak_fc_{name}.tflite"
            recipe = ENCODER_LAYER_RECIPE.get(p.recipe, p.recipe)
            with contextlib.redirect_stdout(io.StringIO()):
                quantize(fp32, p, dest, recipe=recipe)
            out[name] = (dest, recipe)
    return out


class PeakFC:
    """The one-layer ceiling, measured beside every graph (same precision and thread count, right after it) and
    once more at the end of the run.

    Why beside: on a shared VM the machine's speed drifts during an hour-long run (medians moved ~30% between
    two runs of this script); a ceiling taken once, far from a graph's own timing, gave fp32 graphs 101-143% of
    "peak". A graph's share is computed from the ceiling measured next to it; every sample is kept.
    """

    def __init__(self, ctx, precisions: list[str]):
        import numpy as np

        from common.tflite import op_names

        rows_n, k, n = PEAK_FC
        log(f"peak: converting one fully-connected layer [{rows_n},{k}]x[{k},{n}]")
        self.ctx = ctx
        self.files = build_peak_fc(ctx.workdir, precisions)
        self.ops = {name: sorted(op_names(path)) for name, (path, _) in self.files.items()}
        self.flops = {name: matmul_flops(path) for name, (path, _) in self.files.items()}
        self.x = np.random.default_rng(0).standard_normal((rows_n, k)).astype(np.float32)
        self.arg = {
            name: next(iter(litert_runner(path, 1).get_input_details())) for name, (path, _) in self.files.items()
        }
        self.samples: dict[tuple[str, int], list[float]] = {}

    def measure(self, precision: str, threads: int, quiet: bool = True) -> dict:
        path, _ = self.files[precision]
        stats = bench_litert(path, {self.arg[precision]: self.x}, threads, self.ctx.runs, self.ctx.warmup, None)
        if not quiet:
            report(stats)
        stats["gflops_per_s"] = self.flops[precision] / (stats["median_ms"] * 1e-3) / 1e9
        self.samples.setdefault((precision, threads), []).append(stats["gflops_per_s"])
        return stats

    def final(self) -> list[dict]:
        """The end-of-run measurement per precision and thread count, with every sample taken beside the graphs."""
        import numpy as np

        out = []
        for name, (_, recipe) in self.files.items():
            for t in self.ctx.threads:
                beside = list(self.samples.get((name, t), []))
                log_start(f"peak: {name} fully-connected, {t} thread(s)")
                stats = self.measure(name, t, quiet=False)
                out.append(
                    {
                        "precision": name,
                        "threads": t,
                        "shape": list(PEAK_FC),
                        "recipe": recipe,
                        "ops": self.ops[name],
                        "flops": self.flops[name],
                        **stats,
                        "beside_graphs_gflops_per_s": beside,
                        "beside_graphs_median_gflops_per_s": float(np.median(beside)) if beside else None,
                    }
                )
        return out


def attach_throughput(graphs: list[dict]) -> None:
    """Graph matmul FLOPs / median latency, and its share of the one-layer ceiling measured right after it."""
    for g in graphs:
        for row in g["litert"]:
            row["gflops_per_s"] = g["flops"] / (row["median_ms"] * 1e-3) / 1e9
            peak = (row.get("ceiling") or {}).get("gflops_per_s")
            row["fraction_of_peak"] = row["gflops_per_s"] / peak if peak else None


# ---------------------------------------------------------------------------------------------- end to end


def _load_runtime():
    """GLiNERLiteRT and the windowing helpers, or the reason they are missing."""
    try:
        from runtime.model import GLiNERLiteRT
    except Exception as e:  # noqa: BLE001  the runtime may be unfinished; the rest of the bench still runs
        return None, None, f"runtime.GLiNERLiteRT is not importable ({type(e).__name__}: {e})"
    missing = [a for a in ("from_pretrained", "predict_entities", "encode_labels") if not hasattr(GLiNERLiteRT, a)]
    if missing:
        return None, None, f"runtime.GLiNERLiteRT lacks {', '.join(missing)}"
    try:
        from runtime import windows
    except Exception:  # noqa: BLE001
        windows = None
    return GLiNERLiteRT, windows, None


class Pipeline:
    """predict_entities rebuilt from the runtime's own pieces with a timer per stage (its internals stay private).

    Same tokenizers, interpreters (the runtime's runners), input builder, windows and decoder as the runtime,
    so the entities must match its predict_entities; the bench checks that they do.
    """

    def __init__(self, rt, windows_mod):
        self.rt = rt
        self.windows = windows_mod
        self.cfg = rt.artifacts.config
        self.buckets = list(rt.artifacts.buckets)
        self.max_tokens = max(b.max_tokens for b in self.buckets)
        self.max_words = min(self.cfg.max_len, max(b.variant.seq_len for b in self.buckets))
        self.specials = rt.text_tokenizer.num_special_tokens_to_add(False)
        overlap = getattr(rt, "window_overlap", None)
        if overlap is None and windows_mod is not None:
            overlap = windows_mod.default_overlap(self.cfg.max_width)
        self.overlap = overlap

    def split_tokenize(self, text: str) -> dict:
        from runtime.words import split_words

        triples = split_words(text, self.cfg.words_splitter_type)
        words = [w for w, _, _ in triples]
        enc = self.rt.text_tokenizer.encode(words, is_pretokenized=True)
        if len(words) <= self.max_words and len(enc.ids) <= self.max_tokens:
            spans, encs = [(0, len(words), 0, len(words))], [enc]
        elif self.windows is None:
            raise LookupError("text is longer than the largest bucket and runtime.windows is not available")
        else:
            counts = [0] * len(words)
            for wid in enc.word_ids:
                if wid is not None:
                    counts[wid] += 1
            plan = self.windows.plan_windows(counts, self.specials, self.max_tokens, self.max_words, self.overlap)
            spans = [(w.start, w.stop, w.own_start, w.own_stop) for w in plan]
            encs = [self.rt.text_tokenizer.encode(words[a:b], is_pretokenized=True) for a, b, _, _ in spans]
        return {"triples": triples, "spans": spans, "encs": encs, "tokens": len(enc.ids)}

    def labels_cold(self, labels: list[str]):
        from common.inputs import LABELS_OUTPUT, build_labels_inputs

        runner = self.rt.artifacts.runner(self.rt.artifacts.labels_variant)
        encs = [self.rt.labels_tokenizer.encode(x).ids for x in labels]
        empty = self.rt.labels_tokenizer.encode("").ids
        return runner(**build_labels_inputs(encs, empty))[LABELS_OUTPUT][: len(labels)]

    def bucket(self, n_tok: int, n_words: int):
        for b in self.buckets:
            if n_tok <= b.max_tokens and n_words <= b.variant.seq_len:
                return b
        raise LookupError(f"{n_tok} tokens fit no bucket")

    def inputs(self, plan: dict, embeds) -> list:
        from common.inputs import build_text_inputs

        out = []
        for (a, b, _, _), enc in zip(plan["spans"], plan["encs"]):
            bucket = self.bucket(len(enc.ids), b - a)
            ti = build_text_inputs(
                enc.ids,
                enc.word_ids,
                b - a,
                bucket.variant.seq_len,
                self.cfg.max_width,
                embeds,
                pad_token_id=self.cfg.text_pad_token_id,
            )
            out.append((bucket, ti))
        return out

    def text_graph(self, calls: list) -> list:
        from common.inputs import TEXT_OUTPUT

        return [self.rt.artifacts.runner(b.variant)(**ti.arrays)[TEXT_OUTPUT] for b, ti in calls]

    def decode(self, plan: dict, calls: list, outputs: list, labels: list[str], text: str) -> list[dict]:
        import numpy as np

        from runtime.decoding import decode_spans

        c = len(labels)
        per_window = [np.asarray(o[0, : ti.num_words, :, :c], np.float32) for (_, ti), o in zip(calls, outputs)]
        n = len(plan["triples"])
        if len(per_window) == 1:
            logits = per_window[0]
        else:
            wins = [self.windows.Window(*s) for s in plan["spans"]]
            logits = self.windows.stitch(per_window, wins, n)
        spans = decode_spans(logits, n, labels, threshold=0.5)
        tr = plan["triples"]
        return [
            {"start": tr[s][1], "end": tr[e][2], "text": text[tr[s][1] : tr[e][2]], "label": lab, "score": sc}
            for s, e, lab, sc in spans
        ]

    def run_timed(self, text: str, labels: list[str]) -> tuple[dict, list[dict], dict]:
        """One pass; seconds per stage, the entities, and the plan."""
        clock = time.perf_counter
        t0 = clock()
        plan = self.split_tokenize(text)
        t1 = clock()
        self.labels_cold(labels)
        t2 = clock()
        embeds = self.rt.encode_labels(labels)  # warm by the caller: a cache hit
        t3 = clock()
        calls = self.inputs(plan, embeds)
        t4 = clock()
        outputs = self.text_graph(calls)
        t5 = clock()
        ents = self.decode(plan, calls, outputs, labels, text)
        t6 = clock()
        t = dict(zip(STAGES, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5)))
        return t, ents, plan


def _same_entities(a: list[dict], b: list[dict]) -> bool:
    key = lambda e: (e["start"], e["end"], e["label"])  # noqa: E731
    return [key(x) for x in a] == [key(x) for x in b] and all(
        abs(x["score"] - y["score"]) <= 1e-6 for x, y in zip(a, b)
    )


def bench_end_to_end(ctx, precisions: list[str], labels: list[str]) -> dict:
    """predict_entities latency per text size and precision, with the per-stage split of an equivalent pipeline."""
    GLiNERLiteRT, windows_mod, why = _load_runtime()
    if why:
        log(f"end to end skipped: {why}")
        return {"available": False, "note": why, "rows": [], "skipped": []}
    from runtime.words import split_words

    pool = text_pool()
    texts = {n: first_words(split_words, pool, n) for n in ctx.e2e_words}
    rows, skipped = [], []
    for prec in precisions:
        for threads in ctx.threads:
            rt = GLiNERLiteRT.from_pretrained(str(ctx.artifacts), precision=prec, num_threads=threads)
            pipe = Pipeline(rt, windows_mod)
            rt.encode_labels(labels)  # the cached-labels path: what an app with fixed labels sees
            for n, text in texts.items():
                where = f"{n} words ({prec}, {threads} thread(s))"
                try:
                    plan = pipe.split_tokenize(text)
                    seqs = sorted({b.variant.seq_len for b, _ in pipe.inputs(plan, rt.encode_labels(labels))})
                except LookupError as e:
                    skipped.append(f"{where}: {e}")
                    continue
                if ctx.e2e_max_seq_len is not None and max(seqs) > ctx.e2e_max_seq_len:
                    skipped.append(
                        f"{where}: needs bucket {max(seqs)} > {ctx.e2e_max_seq_len} (--max-seq-len / --quick)"
                    )
                    continue
                log_start(f"e2e {prec} {threads}t {n} words ({plan['tokens']} tokens, {len(plan['spans'])} window(s))")
                row = {
                    "precision": prec,
                    "threads": threads,
                    "target_words": n,
                    "words": len(plan["triples"]),
                    "tokens": plan["tokens"],
                    "windows": len(plan["spans"]),
                    "buckets": seqs,
                }
                timings = _e2e_timings(ctx, rt, pipe, text, labels)
                report(timings["total"])
                rows.append(row | timings)
            del pipe, rt
    return {"available": True, "note": None, "labels": labels, "rows": rows, "skipped": skipped}


def _e2e_timings(ctx, rt, pipe: Pipeline, text: str, labels: list[str]) -> dict:
    """predict_entities' latency, then the staged pipeline's, and whether both found the same entities."""
    last = {}

    def predict():
        last["entities"] = rt.predict_entities(text, labels, threshold=0.5)

    total = summarize(time_calls(predict, ctx.e2e_runs, ctx.warmup))
    per_stage: dict[str, list[float]] = {s: [] for s in STAGES}
    ents: list[dict] = []
    for i in range(ctx.warmup + ctx.e2e_runs):
        t, ents, _ = pipe.run_timed(text, labels)
        if i >= ctx.warmup:
            for s in STAGES:
                per_stage[s].append(t[s])
    stages = {s: summarize(v) for s, v in per_stage.items()}
    return {
        "total": total,
        "stages": stages,
        # labels_cold is what a call with new labels adds; predict_entities here runs with cached labels
        "stages_sum_ms": sum(v["median_ms"] for k, v in stages.items() if k != "labels_cold"),
        "entities": len(last["entities"]),
        "entities_match": _same_entities(ents, last["entities"]),
    }


# ---------------------------------------------------------------------------------------------- the run


class Context:
    """What every measurement needs: settings, the upstream model and a scratch folder."""

    def __init__(self, args, model, manifest: dict, workdir: Path, e2e_max_seq_len: int | None):
        self.artifacts = Path(args.artifacts)
        self.model = model
        self.manifest = manifest
        self.workdir = workdir
        self.runs, self.warmup, self.e2e_runs = args.runs, args.warmup, args.e2e_runs
        self.threads = list(args.threads)
        self.skip_torch = args.skip_torch
        self.compare_max_seq_len = args.compare_max_seq_len
        self.e2e_words = list(args.e2e_words)
        self.e2e_max_seq_len = e2e_max_seq_len
        entries = [e for e in manifest["artifacts"].values() if e.get("component") == "text"]
        self.fuse_span_head = all(e.get("fuse_span_head", True) for e in entries)
        self.ort_note = "--skip-onnx" if args.skip_onnx else _ort_missing()
        self.peak: PeakFC | None = None  # set once the workdir exists (it converts a layer)


def _ort_missing() -> str | None:
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError as e:
        return f"{e.name} is not installed"
    return None


def _read_manifest(folder: Path) -> dict:
    path = folder / "manifest.json"
    if not path.is_file():
        raise SystemExit(f"{path} is missing: --artifacts must be a folder written by `python -m convert`")
    return json.loads(path.read_text())


def group_inputs(model, component: str, seq_len: int | None, labels, embeds, pad: int, fill: float):
    """One group's graph inputs, what they hold, and a maker of the upstream call on the same text or labels."""
    if component == "labels":
        arrays = upstream_labels_inputs(model, labels)
        facts = {"labels": len(labels), "label_tokens": int(arrays["attention_mask"].sum(1).max())}
        return arrays, facts, lambda: upstream_labels_call(model, labels)
    text = fill_text(model, seq_len, fill)
    ti = upstream_text_inputs(model, text, seq_len, embeds, pad)
    facts = {"tokens": ti.num_tokens, "words": ti.num_words, "labels": len(labels)}
    return ti.arrays, facts, lambda: upstream_text_call(model, text, labels, embeds)


def run_bench(args) -> dict:
    import numpy as np

    from convert.source import load_model, resolve
    from validate.reference import upstream_label_embeds

    artifacts = Path(args.artifacts)
    manifest = _read_manifest(artifacts)
    present = sorted({e["precision"] for e in manifest["artifacts"].values()})
    precisions = [p for p in (args.precisions or present) if p in present]
    log(f"loading {args.model}")
    source = resolve(args.model, offline=args.offline)
    model = load_model(source)
    notes: list[str] = []
    converted_from = (manifest.get("source") or {}).get("weights_sha256")
    if converted_from and converted_from != source.weights_sha256:
        # The comparisons would time two different models; say so instead of refusing (timings stay valid).
        notes.append(
            f"--model's weights (sha256 {source.weights_sha256[:12]}) are not those the artifacts were "
            f"converted from ({converted_from[:12]}): comparisons time the same shapes, not the same weights"
        )
        log(notes[-1])
    labels = list(LABEL_POOL[: args.num_labels])
    embeds = upstream_label_embeds(model, labels).float().numpy().astype(np.float32)
    pad = int(manifest["config"]["text_pad_token_id"])
    machine = describe_machine()
    graphs, baselines = [], []
    max_seq = args.max_seq_len
    groups = graph_groups(manifest, precisions, max_seq, args.quick)
    if args.quick:  # end-to-end texts too stay within the one bucket measured
        max_seq = min((k[1] for k, _ in groups if k[0] == "text"), default=max_seq)
    with tempfile.TemporaryDirectory(prefix="gliner-bench-") as tmp:
        ctx = Context(args, model, manifest, Path(tmp), e2e_max_seq_len=max_seq)
        ctx.peak = PeakFC(ctx, precisions)
        for (component, seq_len), entries in groups:
            arrays, facts, upstream = group_inputs(model, component, seq_len, labels, embeds, pad, args.fill)
            log(f"{component}" + (f" S={seq_len}" if seq_len else "") + f": inputs {facts}")
            graphs += bench_litert_group(ctx, entries, arrays, facts)
            rows, group_notes = bench_baselines_group(ctx, component, seq_len, arrays, upstream)
            baselines += rows
            notes += group_notes
        attach_ratios(graphs, baselines)
        peaks = ctx.peak.final()
        attach_throughput(graphs)
        try:
            e2e = bench_end_to_end(ctx, precisions, labels)
        except Exception as e:  # noqa: BLE001  the runtime is young; its failure must not cost the rest
            why = f"end to end failed: {type(e).__name__}: {str(e)[:500]}"
            log(why)
            e2e = {"available": False, "note": why, "rows": [], "skipped": []}
    machine["load_avg_end"] = list(os.getloadavg())
    return {
        "schema_version": SCHEMA_VERSION,
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": " ".join([Path(sys.argv[0]).name] + sys.argv[1:]),
        "machine": machine,
        "tools": tool_versions(),
        "model": {
            "source": str(args.model),
            "artifacts": str(artifacts),
            "weights_sha256": (manifest.get("source") or {}).get("weights_sha256"),
            "config": manifest.get("config"),
        },
        "settings": {
            "runs": args.runs,
            "warmup": args.warmup,
            "e2e_runs": ctx.e2e_runs,
            "threads": ctx.threads,
            "precisions": precisions,
            "labels": labels,
            "fill": args.fill,
            "quick": args.quick,
            "max_seq_len": args.max_seq_len,
            "compare_max_seq_len": args.compare_max_seq_len,
            "skip_torch": args.skip_torch,
            "skip_onnx": args.skip_onnx,
        },
        "graphs": graphs,
        "baselines": baselines,
        "peak_fc": peaks,
        "end_to_end": e2e,
        "notes": notes + ([f"ONNX Runtime: {ctx.ort_note}"] if ctx.ort_note else []),
    }


# ---------------------------------------------------------------------------------------------- Markdown


def _ms(x: float | None) -> str:
    if x is None:
        return "-"
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    if x >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def _ratio(x: float) -> str:
    return f"{x:.2f}" if x >= 0.1 else f"{x:.2g}"


def _mib(n: int | None) -> str:
    return "-" if n is None else f"{n / 2**20:.1f}"


def _graph_name(component: str, seq_len: int | None) -> str:
    return "labels encoder" if component == "labels" else f"text S={seq_len}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def _machine_md(b: dict) -> list[str]:
    m, t = b["machine"], b["tools"]
    cores = f"{m['logical_cpus']} logical, {m['physical_cores'] or '?'} physical, {m['usable_cpus']} usable"
    load = lambda v: ", ".join(f"{x:.2f}" for x in v) if v else "-"  # noqa: E731
    rows = [
        ["CPU", f"{m['cpu']} ({m['arch']})"],
        ["cores", cores],
        ["SIMD", ", ".join(m["simd"]) or "-"],
        ["RAM", f"{(m['ram_bytes'] or 0) / 2**30:.1f} GiB"],
        ["OS", f"{m['os']}, kernel {m['kernel']}"],
        [
            "load average (1, 5, 15 min) at start / end",
            f"{load(m.get('load_avg_start'))} / {load(m.get('load_avg_end'))}",
        ],
        ["tools", ", ".join(f"{k} {v}" for k, v in t.items())],
    ]
    return ["## Machine", ""] + _table(["", ""], rows) + [""]


def _settings_md(b: dict) -> list[str]:
    s = b["settings"]
    return [
        "## Settings",
        "",
        f"- Model `{b['model']['source']}`, artifacts `{b['model']['artifacts']}`; "
        f"precisions {', '.join(s['precisions'])}.",
        f"- {s['runs']} timed runs after {s['warmup']} warm-up per measurement (end to end: {s['e2e_runs']}); "
        f"threads {', '.join(map(str, s['threads']))} (LiteRT `num_threads`, `torch.set_num_threads`, ORT "
        f"`intra_op_num_threads`).",
        f"- Text-graph inputs: eval-suite prose filling {s['fill']:.0%} of each bucket's tokens; {len(s['labels'])} "
        f"labels ({', '.join(s['labels'])}), embedded by upstream, padded to 25 in the graphs.",
        "- LiteRT: `ai_edge_litert.interpreter.Interpreter` with its default XNNPACK delegate, called through the "
        "signature runner (input and output copies included). Peak RSS: a fresh process that loads the inputs, loads "
        "the file and runs it once; the bare process (same imports, no graph) is subtracted in the last column.",
        f"- Command: `{b['command']}` ({b['created']}).",
        "",
    ]


def _graphs_md(b: dict) -> list[str]:
    # The run's median ceiling per (precision, threads): a second reference, robust to one depressed sample.
    run_ceiling = {(p["precision"], p["threads"]): p.get("beside_graphs_median_gflops_per_s") for p in b["peak_fc"]}
    rows = []
    for g in b["graphs"]:
        inp = g["input"]
        fed = f"{inp['tokens']} tok / {inp['words']} words" if "tokens" in inp else f"{inp['labels']} labels"
        for r in g["litert"]:
            frac = r.get("fraction_of_peak")
            rows.append(
                [
                    _graph_name(g["component"], g["seq_len"]),
                    g["precision"],
                    f"{g['bytes'] / 1e6:.2f}",
                    fed,
                    str(r["threads"]),
                    _ms(r["median_ms"]),
                    _ms(r["p90_ms"]),
                    f"{_mib(g['rss']['peak_bytes'])} ({_mib(g['rss']['graph_bytes'])})",
                    f"{g['flops'] / 1e9:.3f}",
                    f"{r.get('gflops_per_s', 0):.1f}",
                    f"{r['ceiling']['gflops_per_s']:.0f}" if r.get("ceiling") else "-",
                    "-" if frac is None else f"{frac:.0%}",
                    f"{r['gflops_per_s'] / c:.0%}" if (c := run_ceiling.get((g["precision"], r["threads"]))) else "-",
                ]
            )
    header = [
        "graph",
        "precision",
        "MB",
        "input",
        "threads",
        "median ms",
        "p90 ms",
        "peak RSS MiB (over bare)",
        "GFLOP",
        "GFLOP/s",
        "FC ceiling GFLOP/s",
        "of FC ceiling",
        "of run-median ceiling",
    ]
    return (
        ["## LiteRT graphs", ""]
        + _table(header, rows)
        + [
            "",
            "GFLOP counts 2*M*N*K of every FULLY_CONNECTED and BATCH_MATMUL op in the flatbuffer (a floor: "
            "elementwise ops, softmax and gathers are not counted). `FC ceiling` is the one-layer throughput below, "
            "measured right after this graph's timing at the same precision and thread count (the machine's speed "
            "drifts over a long run on a shared VM); `of FC ceiling` divides the graph's GFLOP/s by it, `of run-median "
            "ceiling` by the median of all such samples at that precision and thread count. The layer is a "
            "reference, not a bound: a graph above 100% either sat next to a depressed sample (compare the two "
            "columns and the spread below) or has layers that run faster than the 768x3072 reference (the labels "
            "encoder's 768x768 layers on 800 rows). An int8 graph cannot reach its int8 ceiling: attention's "
            "BATCH_MATMULs, the head's weight-only FCs and the elementwise ops run in float.",
            "",
        ]
    )


def _comparison_md(b: dict) -> list[str]:
    if not b["baselines"]:
        return ["## Against PyTorch and ONNX Runtime", "", "Not measured in this run (see notes).", ""]
    base = {(x["component"], x["seq_len"], x["threads"], x["runtime"]): x for x in b["baselines"]}
    lite = {(g["component"], g["seq_len"], r["threads"], g["precision"]): r for g in b["graphs"] for r in g["litert"]}
    precs = b["settings"]["precisions"]
    keys = sorted({k[:3] for k in base}, key=lambda k: (k[0] == "text", k[1] or 0, k[2]))
    lat_rows, ratio_rows = [], []
    for comp, s, t in keys:
        name = _graph_name(comp, s)
        cells = [_ms(lite[(comp, s, t, p)]["median_ms"]) if (comp, s, t, p) in lite else "-" for p in precs]
        cells += [_ms(base[(comp, s, t, n)]["median_ms"]) if (comp, s, t, n) in base else "-" for n in BASELINES]
        lat_rows.append([name, str(t)] + cells)
        for p in precs:
            r = lite.get((comp, s, t, p))
            if r is None:
                continue
            ratio_rows.append(
                [name, str(t), f"LiteRT {p}"] + [_ratio(r["vs"][n]) if n in r.get("vs", {}) else "-" for n in BASELINES]
            )
    up = [x for x in b["baselines"] if x["runtime"] == "torch_upstream" and x["component"] == "text"]
    exporters = sorted({x["exporter"] for x in b["baselines"] if "exporter" in x})
    ort_sizes = sorted(
        {(x["component"], x["seq_len"], x["runtime"], x["bytes"]) for x in b["baselines"] if "bytes" in x},
        key=lambda k: (k[0] == "text", k[1] or 0, k[2]),
    )
    out = [
        "## Against PyTorch and ONNX Runtime",
        "",
        "Median ms on the same inputs, in the same run, at the same thread count.",
        "",
    ]
    out += _table(
        ["graph", "threads"]
        + [f"LiteRT {p}" for p in precs]
        + ["torch upstream", "torch wrapper", "ORT fp32", "ORT int8"],
        lat_rows,
    )
    out += ["", "LiteRT median / other median, pair by pair (below 1: LiteRT is faster).", ""]
    out += _table(
        ["graph", "threads", "LiteRT", "/ torch upstream", "/ torch wrapper", "/ ORT fp32", "/ ORT int8"], ratio_rows
    )
    out += [
        "",
        "- torch upstream: `model.model(**batch, labels_embeds=...)` on the batch gliner builds for the text, "
        "at its real length (dynamic shapes, upstream's unfused span head); for the labels encoder, "
        "`encode_labels` on the labels padded to the longest."
        + (
            " Upstream's word and token counts: "
            + "; ".join(
                f"S={x['seq_len']}: {x['input']['tokens']} tok / {x['input']['words']} words"
                for x in up
                if x["threads"] == b["settings"]["threads"][0]
            )
            + "."
            if up
            else ""
        ),
        "- torch wrapper: `wrappers.TextEncoderWrapper` / `LabelsEncoderWrapper` at the graph's static shapes "
        "(what litert-torch converts).",
    ]
    if exporters:
        out += [
            f"- ORT: the wrapper exported by `torch.onnx.export` ({', '.join(exporters)} exporter), fp32 and "
            "`onnxruntime.quantization.quantize_dynamic` int8 (QInt8 weights, dynamic activations), CPU provider, "
            "sequential execution."
        ]
    if ort_sizes:
        out += [
            "- ONNX file sizes: "
            + "; ".join(f"{_graph_name(c, s)} {n[4:]} {sz / 1e6:.2f} MB" for c, s, n, sz in ort_sizes)
            + "."
        ]
    return out + [""]


def _spread(xs: list[float]) -> str:
    import numpy as np

    if not xs:
        return "-"
    return f"{min(xs):.0f} / {float(np.median(xs)):.0f} / {max(xs):.0f} ({len(xs)})"


def _peak_md(b: dict) -> list[str]:
    if not b["peak_fc"]:
        return []
    rows = [
        [
            p["precision"],
            f"`{p['recipe']}`" if p.get("recipe") else "none (float)",
            ", ".join(p.get("ops", [])),
            str(p["threads"]),
            "x".join(map(str, p["shape"])),
            f"{p['flops'] / 1e9:.2f}",
            _ms(p["median_ms"]),
            f"{p['gflops_per_s']:.1f}",
            _spread(p.get("beside_graphs_gflops_per_s") or []),
        ]
        for p in b["peak_fc"]
    ]
    rows_n, k, n = b["peak_fc"][0]["shape"]
    return (
        [
            "## How close to the machine",
            "",
            f"One fully-connected layer, [{rows_n},{k}] x [{k},{n}], converted from `torch.nn.Linear` by litert-torch "
            "(and quantized as the artifacts' encoder layers are: for int8 dynamic int8, int8 weights and activations "
            "quantized at run time, the kernel that carries the graph's FLOPs), run by the same interpreter and thread "
            "count: the matmul throughput this machine gives a single large layer.",
            "",
        ]
        + _table(
            [
                "precision",
                "recipe",
                "ops",
                "threads",
                "rows x in x out",
                "GFLOP",
                "median ms (end of run)",
                "GFLOP/s (end of run)",
                "GFLOP/s beside the graphs: min / median / max (n)",
            ],
            rows,
        )
        + [""]
    )


def _e2e_md(b: dict) -> list[str]:
    e = b["end_to_end"]
    out = ["## End to end", ""]
    if not e["available"]:
        return out + [f"Skipped: {e['note']}.", ""]
    rows = []
    for r in e["rows"]:
        st = r["stages"]
        rows.append(
            [
                r["precision"],
                str(r["threads"]),
                str(r["words"]),
                str(r["tokens"]),
                str(r["windows"]),
                ", ".join(map(str, r["buckets"])),
                _ms(r["total"]["median_ms"]),
                _ms(r["total"]["p90_ms"]),
            ]
            + [_ms(st[s]["median_ms"]) for s in STAGES]
            + [_ms(r["stages_sum_ms"]), str(r["entities"]), "yes" if r["entities_match"] else "NO"]
        )
    header = [
        "precision",
        "threads",
        "words",
        "tokens",
        "windows",
        "buckets",
        "predict ms",
        "p90 ms",
        "split+tokenize",
        "labels cold",
        "labels cached",
        "inputs",
        "text graph",
        "decode",
        "sum (no cold)",
        "entities",
        "stages = predict",
    ]
    out += [
        "`GLiNERLiteRT.predict_entities(text, labels)` with the labels already cached (an app with fixed labels), "
        "on the first N words of the eval-suite prose. The stage columns (median ms) time a pipeline rebuilt "
        "from the runtime's pieces (its tokenizers, interpreters, `common.inputs`, `runtime.windows`, "
        "`runtime.decoding`); `stages = predict` says whether it returned the same entities. `labels cold` is "
        "a labels-encoder call for new labels (tokenize + graph), `labels cached` the cache hit.",
        "",
    ]
    out += _table(header, rows)
    if e["skipped"]:
        out += ["", "Skipped: " + "; ".join(e["skipped"]) + "."]
    return out + [""]


def render_markdown(b: dict) -> str:
    """docs/BENCHMARKS.md, drawn only from bench.json."""
    lines = [
        "# Benchmarks",
        "",
        "Generated by `scripts/bench.py` from `bench.json`; do not edit by hand. Re-render with "
        "`python scripts/bench.py --render-only bench.json --doc docs/BENCHMARKS.md`; re-measure with "
        "`make bench MODEL=... ARTIFACTS=...`.",
        "",
    ]
    lines += _machine_md(b) + _settings_md(b) + _graphs_md(b) + _comparison_md(b) + _peak_md(b) + _e2e_md(b)
    if b["notes"]:
        lines += ["## Notes", ""] + [f"- {n}" for n in b["notes"]] + [""]
    return "\n".join(lines)


def write_outputs(bench: dict, out: Path, doc: Path | None) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(bench, indent=2) + "\n")
    log(f"wrote {out}")
    if doc is not None:
        doc.parent.mkdir(parents=True, exist_ok=True)
        doc.write_text(render_markdown(bench))
        log(f"wrote {doc}")


# ---------------------------------------------------------------------------------------------- CLI


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    io_ = ap.add_argument_group("inputs and outputs")
    io_.add_argument("--model", help="upstream GLiNER folder (or hub id in the local cache)")
    io_.add_argument("--artifacts", help="folder written by `python -m convert` (read through its manifest.json)")
    io_.add_argument("--out", type=Path, help="bench.json path (default: ARTIFACTS/bench.json)")
    io_.add_argument(
        "--doc", type=Path, default=DEFAULT_DOC, help="Markdown to render from bench.json (default: %(default)s)"
    )
    io_.add_argument("--no-doc", action="store_true", help="write bench.json only")
    io_.add_argument(
        "--render-only", type=Path, metavar="BENCH_JSON", help="re-render --doc from a bench.json; measure nothing"
    )
    m = ap.add_argument_group("what to measure")
    m.add_argument("--runs", type=int, default=10, help="timed runs per measurement (default: %(default)s)")
    m.add_argument("--warmup", type=int, default=1, help="untimed runs before each measurement (default: %(default)s)")
    m.add_argument(
        "--threads", type=int, nargs="+", default=[1, 2], help="thread counts, for every runtime (default: 1 2)"
    )
    m.add_argument("--precisions", nargs="+", help="precisions to measure (default: all in the manifest)")
    m.add_argument(
        "--num-labels",
        type=int,
        default=16,
        choices=range(1, 26),
        metavar="[1-25]",
        help="entity types (default: %(default)s)",
    )
    m.add_argument(
        "--fill", type=float, default=0.9, help="fraction of each bucket's tokens the text fills (default: %(default)s)"
    )
    m.add_argument("--max-seq-len", type=int, help="skip text buckets (and end-to-end texts) above this S")
    m.add_argument("--quick", action="store_true", help="smallest text bucket only (and the labels encoder)")
    m.add_argument("--skip-torch", action="store_true", help="no PyTorch comparisons")
    m.add_argument("--skip-onnx", action="store_true", help="no ONNX Runtime comparisons")
    m.add_argument(
        "--compare-max-seq-len",
        type=int,
        default=2048,
        help="PyTorch/ORT comparisons only up to this S; their memory grows with S^2 (default: %(default)s)",
    )
    m.add_argument(
        "--e2e-words",
        type=int,
        nargs="*",
        default=list(E2E_WORDS),
        help="end-to-end text sizes in words; none to skip (default: 10 40 150 600 2000)",
    )
    m.add_argument(
        "--e2e-runs",
        type=int,
        default=5,
        help="timed runs per end-to-end measurement, each of predict_entities and the staged pipeline "
        "(default: %(default)s)",
    )
    child = ap.add_argument_group("internal")
    child.add_argument("--child-rss", help=argparse.SUPPRESS)
    child.add_argument("--child-model", help=argparse.SUPPRESS)
    child.add_argument("--child-signature", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if not args.child_rss and not args.render_only and not (args.model and args.artifacts):
        ap.error("--model and --artifacts are required (or --render-only BENCH_JSON)")
    if args.runs < 1 or args.warmup < 0 or any(t < 1 for t in args.threads):
        ap.error("--runs >= 1, --warmup >= 0 and --threads >= 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.child_rss:
        child_rss(args.child_rss, args.child_model, args.threads[0], args.child_signature)
        return 0
    doc = None if args.no_doc else args.doc
    if args.render_only:
        bench = json.loads(args.render_only.read_text())
        if bench.get("schema_version") != SCHEMA_VERSION:
            raise SystemExit(f"{args.render_only}: schema {bench.get('schema_version')!r}, expected {SCHEMA_VERSION}")
        if doc is None:
            raise SystemExit("--render-only with --no-doc renders nothing")
        doc.write_text(render_markdown(bench))
        log(f"wrote {doc}")
        return 0
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    args.offline = os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0")
    out = args.out or Path(args.artifacts) / "bench.json"
    bench = run_bench(args)
    write_outputs(bench, out, doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
