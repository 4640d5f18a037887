"""The other runtimes on the same inputs: upstream PyTorch, the export wrapper in PyTorch, and ONNX Runtime."""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
import time
from pathlib import Path

from scripts.bench.schema import BASELINES
from scripts.bench.timing import log, log_start, report, summarize, time_calls
from upstream import adapter


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

    batch = adapter.collated_batch(model, text, labels)
    keys = ("input_ids", "attention_mask", "words_mask", "text_lengths", "span_idx", "span_mask")
    kwargs = {k: batch[k] for k in keys}
    emb = torch.from_numpy(embeds)
    forward = adapter.inner(model)
    return (lambda: forward(**kwargs, labels_embeds=emb)), {
        "tokens": int(kwargs["input_ids"].shape[1]),
        "words": int(batch["text_lengths"][0, 0]),
    }


def upstream_labels_call(model, labels: list[str]):
    """The labels encoder on the labels padded to the longest, as predict_entities' collator does
    (GLiNER.encode_labels pads to the tokenizer's max_length instead, far slower)."""
    tok = adapter.tokenize_labels(model, labels, padding="longest")
    return (lambda: adapter.encode_label_tokens(model, tok)), {
        "tokens": int(tok["input_ids"].shape[1]),
        "labels": len(labels),
    }


def ort_missing() -> str | None:
    """Why ONNX Runtime comparisons cannot run here, or None."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError as e:
        return f"{e.name} is not installed"
    return None


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


def bench_baselines_group(ctx, variant, arrays: dict, upstream) -> tuple[list[dict], list[str]]:
    """torch upstream, torch wrapper, ORT fp32 and ORT int8 on one group's inputs, at each thread count.

    `variant` is any graph of the group (the wrapper is built at its component and S); `upstream` makes the
    upstream call on the same text or labels.
    """
    import torch

    from convert.export import build_wrapper

    component, seq_len = variant.component.value, variant.seq_len
    rows, notes = [], []
    label = f"{component}" + (f" S={seq_len}" if seq_len else "")
    if seq_len is not None and seq_len > ctx.compare_max_seq_len:
        notes.append(
            f"{label}: PyTorch and ONNX Runtime comparisons skipped (S > --compare-max-seq-len "
            f"{ctx.compare_max_seq_len}: their memory grows with S^2 and would risk the machine)"
        )
        return rows, notes
    tensors = {k: torch.from_numpy(v) for k, v in arrays.items()}
    module = build_wrapper(ctx.model, variant, ctx.fuse_span_head)
    where = {"component": component, "seq_len": seq_len}
    if not ctx.skip_torch:
        up_fn, up_facts = upstream()
        for n in ctx.threads:
            log_start(f"{label}: PyTorch upstream, {n} thread(s)")
            stats = report(bench_torch(up_fn, n, ctx.runs, ctx.warmup))
            rows.append({"runtime": "torch_upstream", **where, "threads": n, "input": up_facts, **stats})
            log_start(f"{label}: PyTorch wrapper, {n} thread(s)")
            stats = report(bench_torch(lambda: module(**tensors), n, ctx.runs, ctx.warmup))
            rows.append({"runtime": "torch_wrapper", **where, "threads": n, **stats})
    if not ctx.ort_note:  # else one run-wide note says why
        rows_ort, note = _bench_ort_group(ctx, label, where, module, tensors, arrays)
        rows += rows_ort
        notes += [note] if note else []
    return rows, notes


def _bench_ort_group(ctx, label, where, module, tensors, arrays) -> tuple[list[dict], str | None]:
    folder = Path(tempfile.mkdtemp(prefix=f"onnx-{where['component']}-", dir=ctx.workdir))
    fp32, int8 = folder / "model.onnx", folder / "model_int8.onnx"
    log(f"{label}: exporting the wrapper to ONNX")
    t = time.perf_counter()
    try:
        exporter = export_onnx(module, tensors, fp32)
        quantize_onnx(fp32, int8)
    except Exception as e:  # noqa: BLE001  reported in bench.json's notes; LiteRT's numbers stand without ORT's
        return [], f"{label}: ONNX export or quantization failed, ORT skipped: {type(e).__name__}: {str(e)[:400]}"
    export_s = time.perf_counter() - t
    rows = []
    for name, path in (("ort_fp32", fp32), ("ort_int8", int8)):
        for n in ctx.threads:
            log_start(f"{label}: ONNX Runtime {name[4:]}, {n} thread(s)")
            rows.append(
                {
                    "runtime": name,
                    **where,
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
