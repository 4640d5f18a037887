"""The LiteRT side: the manifest's graphs grouped by input, each timed, sized, FLOP-counted and its peak RSS taken."""

from __future__ import annotations

import gc
from pathlib import Path

from common.tflite import builtin_codes, read_model, signature_subgraph
from scripts.bench.rss import measure_rss
from scripts.bench.timing import bench_litert, log, log_start, report


def matmul_flops(path: Path, subgraph: int | None = None) -> int:
    """2*M*N*K summed over FULLY_CONNECTED and BATCH_MATMUL ops, shapes read from the flatbuffer.

    The ops that dominate a transformer; elementwise, softmax and gathers are left out, so this is a floor.
    `subgraph` limits the count to one subgraph (one graph of a file that holds several); None counts them all.
    """
    import numpy as np
    from ai_edge_litert import schema_py_generated as schema

    model = read_model(path)
    codes = builtin_codes(model)
    fc, bmm = schema.BuiltinOperator.FULLY_CONNECTED, schema.BuiltinOperator.BATCH_MATMUL
    total = 0
    for g in range(model.SubgraphsLength()) if subgraph is None else (subgraph,):
        sg = model.Subgraphs(g)
        for j in range(sg.OperatorsLength()):
            op = sg.Operators(j)
            code = codes[op.OpcodeIndex()]
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


def graph_flops(path: Path, art, graph) -> int:
    """Matmul FLOPs of one graph of a file: all its subgraphs, or only the graph's own in a bundle of several."""
    if len(art.graphs) == 1:
        return matmul_flops(path)
    return matmul_flops(path, signature_subgraph(read_model(path), graph.signature))


def graph_groups(manifest, precisions: list[str], max_seq_len: int | None, quick: bool):
    """The manifest's graphs grouped by (component, seq_len): the graphs that take the same inputs.

    Each group is ((component, seq_len), [(variant, ArtifactFile, Graph)]), labels first, then text by S.
    """
    groups: dict[tuple, list[tuple]] = {}
    for art, graph in manifest.graphs():
        v = graph.variant
        if v.precision.suffix not in precisions:
            continue
        if v.seq_len is not None and max_seq_len is not None and v.seq_len > max_seq_len:
            continue
        groups.setdefault((v.component.value, v.seq_len), []).append((v, art, graph))
    # The labels side first (25 rows, 128 rows, prompts), then each bucket's logits and span graphs.
    side = ("labels", "labels_bulk", "prompts")
    keys = sorted(groups, key=lambda k: (k[1] is not None, k[1] or 0, side.index(k[0]) if k[0] in side else
                                         ("text", "spans").index(k[0])))
    if quick:
        smallest = min((k[1] for k in keys if k[1] is not None), default=None)
        keys = [k for k in keys if k[1] is None or k[1] == smallest]
    return [(k, sorted(groups[k], key=lambda e: e[0].sort_key)) for k in keys]


def bench_litert_group(ctx, entries, arrays: dict, input_facts: dict) -> list[dict]:
    """Latency at each thread count, peak RSS, size and FLOPs of every graph of one group."""
    rows = []
    for v, art, graph in entries:
        path = ctx.artifacts / art.file
        sig = graph.signature
        row = {
            "variant": str(v),
            "component": v.component.value,
            "seq_len": v.seq_len,
            "precision": v.precision.suffix,
            "file": art.file,
            "bytes": art.bytes,
            "flops": graph_flops(path, art, graph),
            "input": input_facts,
            "litert": [],
        }
        for n in ctx.threads:
            log_start(f"{v}: LiteRT, {n} thread(s)")
            stats = bench_litert(path, arrays, n, ctx.runs, ctx.warmup, sig, ctx.cache_dir)
            timing = {"threads": n, **report(stats)}
            if ctx.peak is not None and v.precision.suffix in ctx.peak.files:
                c = ctx.peak.measure(v.precision.suffix, n)
                timing["ceiling"] = {k: c[k] for k in ("median_ms", "gflops_per_s")}
            row["litert"].append(timing)
        rss_threads = max(ctx.threads)
        gc.collect()  # the timing interpreter's arena is gone before a child allocates its own
        peak = measure_rss(path, arrays, rss_threads, sig, ctx.workdir, ctx.cache_dir)
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


def attach_throughput(graphs: list[dict]) -> None:
    """Graph matmul FLOPs / median latency, and its share of the one-layer ceiling measured right after it."""
    for g in graphs:
        for row in g["litert"]:
            row["gflops_per_s"] = g["flops"] / (row["median_ms"] * 1e-3) / 1e9
            peak = (row.get("ceiling") or {}).get("gflops_per_s")
            row["fraction_of_peak"] = row["gflops_per_s"] / peak if peak else None
