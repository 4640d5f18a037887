"""bench.json -> Markdown (docs/BENCHMARKS.md): every number in the document comes from bench.json alone."""

from __future__ import annotations

from scripts.bench.schema import BASELINES, STAGES
from scripts.bench.timing import fmt_ms as _ms


def _ratio(x: float) -> str:
    return f"{x:.2f}" if x >= 0.1 else f"{x:.2g}"


def _mib(n: int | None) -> str:
    return "-" if n is None else f"{n / 2**20:.1f}"


_SIDE_NAMES = {"labels": "labels encoder", "labels_bulk": "labels encoder (128 rows)", "prompts": "label prompts"}


def _graph_name(component: str, seq_len: int | None) -> str:
    if component in _SIDE_NAMES:
        return _SIDE_NAMES[component]
    return f"spans S={seq_len}" if component == "spans" else f"text S={seq_len}"


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
        _litert_how(b),
        f"- Command: `{b['command']}` ({b['created']}).",
        "",
    ]


def _litert_how(b: dict) -> str:
    if b["settings"].get("engine") == "compiled_model":
        return ("- LiteRT: what an app runs, the runtime's `CompiledModel` (`runtime.engine.Engine`) over each file, "
                "XNNPACK with its weight cache (`runtime.cache`, built by the first timing of a file, then mapped), "
                "called by signature (input and output copies included); a bundle is created once for all its "
                "signatures. Peak RSS: a fresh process that loads the inputs, opens the file as the runtime does "
                "(every signature prepared, the cache mapped) and runs the graph once; the bare process (same "
                "imports, no graph) is subtracted in the last column.")
    return ("- LiteRT: `ai_edge_litert.interpreter.Interpreter` with its default XNNPACK delegate, called through the "
            "signature runner (input and output copies included). Peak RSS: a fresh process that loads the inputs, "
            "loads the file and runs it once; the bare process (same imports, no graph) is subtracted in the last "
            "column.")


def _standing_md(b: dict) -> list[str]:
    """One table: for each graph compared, where LiteRT is ahead of and behind each other runtime."""
    lite = {(g["component"], g["seq_len"], r["threads"], g["precision"]): r for g in b["graphs"] for r in g["litert"]}
    keys = sorted({k[:3] for k in lite if any(n in lite[k].get("vs", {}) for n in BASELINES)},
                  key=lambda k: (k[0] == "text", k[1] or 0, k[0], k[2]))
    if not keys:
        return []
    pairs = [("int8", "ort_int8"), ("fp32", "ort_fp32"), ("int8", "torch_upstream"), ("fp32", "torch_upstream")]
    names = {"ort_int8": "ORT int8", "ort_fp32": "ORT fp32", "torch_upstream": "PyTorch"}
    rows = []
    for comp, seq, t in keys:
        cells, behind = [], []
        for p, other in pairs:
            r = lite.get((comp, seq, t, p))
            x = (r or {}).get("vs", {}).get(other)
            cells.append("-" if x is None else _ratio(x))
            if x is not None and x > 1.05:
                behind.append(f"{p} behind {names[other]} ({_ratio(x)}x)")
        rows.append([_graph_name(comp, seq), str(t)] + cells + ["; ".join(behind) or "ahead or even everywhere"])
    return (["## Where LiteRT stands", "",
             "LiteRT's median over the other runtime's, same inputs, same run, same threads (below 1: LiteRT is "
             "faster; over 1.05 is called behind).", ""]
            + _table(["graph", "threads", "int8 / ORT int8", "fp32 / ORT fp32", "int8 / PyTorch", "fp32 / PyTorch",
                      "behind"], rows) + [""])


def _graphs_md(b: dict) -> list[str]:
    # The run's median ceiling per (precision, threads): a second reference, robust to one depressed sample.
    run_ceiling = {(p["precision"], p["threads"]): p.get("beside_graphs_median_gflops_per_s") for p in b["peak_fc"]}
    rows = []
    for g in b["graphs"]:
        inp = g["input"]
        fed = (f"{inp['tokens']} tok / {inp['words']} words" if "tokens" in inp else
               f"{inp['labels']} label embeddings" if g["component"] == "prompts" else f"{inp['labels']} labels")
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
    keys = sorted({k[:3] for k in base}, key=lambda k: (k[0] == "text", k[1] or 0, k[0], k[2]))
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
        key=lambda k: (k[0] == "text", k[1] or 0, k[0], k[2]),
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
    what = (
        "`GLiNERLiteRT.predict_entities(text, labels)` with the labels already cached (an app with fixed labels), "
        "on the first N words of the eval-suite prose. "
    )
    if e.get("stages_of") == "runtime":
        what += (
            "The stage columns (median ms) time the runtime's own public stages, the steps predict_entities runs: "
            "`prepare` (split+tokenize: words, tokens per word, windows), `encode_labels` after "
            "`clear_label_cache` (labels cold: tokenize + graph, what new labels cost) and again (labels cached: "
            "the cache hit), `build_calls` (inputs), `window_logits` (text graph) and `decode`; `stages = predict` "
            "says whether they returned predict_entities' entities."
        )
    elif e.get("stages_of") == "runtime-spans":
        what += (
            "The stage columns (median ms) time the runtime's own public stages of the span path (one text pass for "
            "any number of labels): `prepare` (split+tokenize: words, tokens per word, windows), `encode_labels` "
            "after `clear_label_cache` (labels cold) and again (labels cached), `inputs` = `label_prompts` (cached "
            "with the labels), `text graph` = `window_spans` (the span graph) and `decode` = `decode_window_spans` "
            "(every label scored on the host, then decoded); `stages = predict` says whether they returned "
            "predict_entities' entities."
        )
    else:  # bench.json files written before the stages were public timed a copy of the pipeline
        what += (
            "The stage columns (median ms) time a pipeline rebuilt "
            "from the runtime's pieces (its tokenizers, interpreters, `common.inputs`, `runtime.windows`, "
            "`runtime.decoding`); `stages = predict` says whether it returned the same entities. `labels cold` is "
            "a labels-encoder call for new labels (tokenize + graph), `labels cached` the cache hit."
        )
    out += [what, ""]
    out += _table(header, rows)
    if e["skipped"]:
        out += ["", "Skipped: " + "; ".join(e["skipped"]) + "."]
    return out + [""]


def render_markdown(b: dict) -> str:
    """docs/BENCHMARKS.md, drawn only from bench.json."""
    lines = [
        "# Benchmarks",
        "",
        "Generated by `python -m scripts.bench` from `bench.json`; do not edit by hand. Re-render with "
        "`python -m scripts.bench --render-only bench.json --doc docs/BENCHMARKS.md`; re-measure with "
        "`make bench MODEL=... ARTIFACTS=...`.",
        "",
    ]
    lines += (_machine_md(b) + _settings_md(b) + _standing_md(b) + _graphs_md(b) + _comparison_md(b) + _peak_md(b)
              + _e2e_md(b))
    if b["notes"]:
        lines += ["## Notes", ""] + [f"- {n}" for n in b["notes"]] + [""]
    return "\n".join(lines)

