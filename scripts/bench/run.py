"""One benchmark run: read the manifest, load upstream, measure every group of graphs, assemble bench.json."""

from __future__ import annotations

import os
import tempfile
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

from scripts.bench.baselines import (
    attach_ratios,
    bench_baselines_group,
    ort_missing,
    upstream_labels_call,
    upstream_text_call,
)
from scripts.bench.ceiling import PeakFC
from scripts.bench.e2e import bench_end_to_end
from scripts.bench.litert import attach_throughput, bench_litert_group, graph_groups
from scripts.bench.schema import SCHEMA_VERSION
from scripts.bench.texts import (
    LABEL_POOL,
    bucket_text,
    bulk_labels,
    upstream_labels_inputs,
    upstream_text_inputs,
)
from upstream import adapter
from validate.reference import upstream_label_embeds
from scripts.bench.timing import LiteRTGraph, log

# Versions beside common.machine's: the baselines' runtimes and numpy.
BENCH_TOOLS = ("onnx", "onnxruntime", "onnxscript", "numpy")


class Context:
    """What every measurement needs: settings, the upstream model and a scratch folder."""

    def __init__(self, args, model, manifest, workdir: Path, e2e_max_seq_len: int | None):
        from common.variants import Component

        self.artifacts = Path(args.artifacts)
        self.model = model
        self.workdir = workdir
        self.runs, self.warmup, self.e2e_runs = args.runs, args.warmup, args.e2e_runs
        self.threads = list(args.threads)
        self.skip_torch = args.skip_torch
        self.compare_max_seq_len = args.compare_max_seq_len
        self.e2e_words = list(args.e2e_words)
        self.e2e_max_seq_len = e2e_max_seq_len
        text_files = [a for a, g in manifest.graphs() if g.variant.component is Component.TEXT]
        self.fuse_span_head = all(a.fuse_span_head for a in text_files)
        self.ort_note = "--skip-onnx" if args.skip_onnx else ort_missing()
        self.peak: PeakFC | None = None  # set once the workdir exists (it converts a layer)
        # The runtime's proven XNNPACK weight cache, as an app keeps it (built by the first timing of a file).
        self.cache_dir = workdir / "xnnpack-cache"


def group_inputs(model, variant, labels, embeds, pad: int, fill: float):
    """One group's graph inputs, what they hold, and a maker of the upstream call on the same text or labels
    (None where upstream has no call of that graph alone: the prompts and span graphs are pieces of its forward)."""
    import numpy as np

    from common.inputs import SPANS_INPUTS
    from common.variants import Component

    c = variant.component
    if c in (Component.LABELS, Component.LABELS_BULK):
        rows = c.label_rows(adapter.config(model).max_types)
        group = labels if c is Component.LABELS else bulk_labels(rows)
        arrays = upstream_labels_inputs(model, group, rows)
        facts = {"labels": len(group), "label_tokens": int(arrays["attention_mask"].sum(1).max())}
        return arrays, facts, lambda: upstream_labels_call(model, group)
    if c is Component.PROMPTS:
        rows = c.label_rows(adapter.config(model).max_types)
        group = bulk_labels(rows)
        emb = upstream_label_embeds(model, group).float().numpy().astype(np.float32)
        return {"labels_embeds": emb}, {"labels": len(group)}, None
    text = bucket_text(model, variant.seq_len, fill)
    ti = upstream_text_inputs(model, text, variant.seq_len, embeds, pad)
    if c is Component.SPANS:
        return ({k: ti.arrays[k] for k in SPANS_INPUTS}, {"tokens": ti.num_tokens, "words": ti.num_words, "labels": 0},
                None)
    facts = {"tokens": ti.num_tokens, "words": ti.num_words, "labels": len(labels)}
    return ti.arrays, facts, lambda: upstream_text_call(model, text, labels, embeds)


def run_bench(args, command: str) -> dict:
    """Every measurement `args` asks for, as the bench.json dict."""
    import numpy as np

    from common import manifest as mf
    from common.files import shown_path
    from common.machine import TOOLS, describe_machine, tool_versions
    from upstream.source import load_model, resolve

    artifacts = Path(args.artifacts)
    manifest = mf.read(artifacts)
    if manifest is None:
        raise SystemExit(f"{artifacts / mf.MANIFEST} is missing: --artifacts must be a folder written by `python -m convert`")
    present = sorted({a.precision.suffix for a in manifest.artifacts.values()})
    precisions = [p for p in (args.precisions or present) if p in present]
    log(f"loading {args.model}")
    source = resolve(args.model, offline=args.offline)
    model = load_model(source)
    notes: list[str] = []
    converted_from = manifest.source["weights_sha256"]
    if converted_from != source.weights_sha256:
        # The comparisons would time two different models; say so instead of refusing (timings stay valid).
        notes.append(
            f"--model's weights (sha256 {source.weights_sha256[:12]}) are not those the artifacts were "
            f"converted from ({converted_from[:12]}): comparisons time the same shapes, not the same weights"
        )
        log(notes[-1])
    labels = list(LABEL_POOL[: args.num_labels])
    embeds = upstream_label_embeds(model, labels).float().numpy().astype(np.float32)
    pad = manifest.config.text_pad_token_id
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
            variant = entries[0][0]
            arrays, facts, upstream = group_inputs(model, variant, labels, embeds, pad, args.fill)
            log(f"{component}" + (f" S={seq_len}" if seq_len else "") + f": inputs {facts}")
            graphs += bench_litert_group(ctx, entries, arrays, facts)
            if upstream is not None:
                rows, group_notes = bench_baselines_group(ctx, variant, arrays, upstream)
                baselines += rows
                notes += group_notes
        LiteRTGraph.close_all()
        attach_ratios(graphs, baselines)
        peaks = ctx.peak.final()
        attach_throughput(graphs)
        e2e = bench_end_to_end(ctx, precisions, labels)
    machine["load_avg_end"] = list(os.getloadavg())
    return {
        "schema_version": SCHEMA_VERSION,
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": command,
        "machine": machine,
        "tools": tool_versions(TOOLS + BENCH_TOOLS),
        "model": {
            "source": shown_path(args.model),
            "artifacts": shown_path(artifacts),
            "weights_sha256": converted_from,
            "config": asdict(manifest.config),
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
            "engine": "compiled_model",
        },
        "graphs": graphs,
        "baselines": baselines,
        "peak_fc": peaks,
        "end_to_end": e2e,
        "notes": notes + ([f"ONNX Runtime: {ctx.ort_note}"] if ctx.ort_note else []),
    }
