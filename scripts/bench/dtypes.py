"""What the seed card's dtypes cost: one graph exported with the bundle's int32 inputs and with the seed files'
int64 / float32 inputs (cast to int32 inside the graph), same weights, timed in turns through the runtime's Engine.

    python -m scripts.bench.dtypes --model tests/fixtures/tiny-trained --seq-len 256 \\
        --json docs/bench-dtypes-tiny-trained.json --doc docs/BENCHMARKS-DTYPES.md
    flock /work/build/.fullsize.lock python -m scripts.bench.dtypes --model build/base-random --seq-len 256 \\
        --json docs/bench-dtypes-base-random.json --doc docs/BENCHMARKS-DTYPES.md

Each graph is fed as the runtime feeds it (the builders' int32 arrays, cast by Engine.run to the graph's dtypes,
so the host-side cast is in the timing). Calls alternate between the two files so machine noise falls on both alike;
the outputs are compared bit for bit. `--doc` is drawn from every docs/bench-dtypes-*.json beside --json.
Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

CONTRACTS = ("bundle", "files")  # int32 inputs; the seed card's int64 / float32


def _inputs(model, variant, cfg, rng) -> dict:
    import numpy as np

    from common.inputs import build_labels_inputs, build_text_inputs
    from common.variants import Component
    from upstream import adapter

    if variant.component is Component.LABELS:
        tok = adapter.labels_tokenizer(model)
        rows = [tok(f"entity type number {i}")["input_ids"] for i in range(cfg.max_types)]
        return build_labels_inputs(rows, tok("")["input_ids"], cfg.max_types)
    s = variant.seq_len
    n_tok = int(s * 0.9)
    words = n_tok - 2
    ids = [1] + list(rng.integers(5, 200, size=words)) + [2]
    word_ids = [None] + list(range(words)) + [None]
    emb = rng.standard_normal((min(16, cfg.max_types), cfg.hidden_size)).astype(np.float32)
    return build_text_inputs(ids, word_ids, words, s, cfg.max_width, emb, max_types=cfg.max_types).arrays


def measure(model_dir: str, seq_len: int, precisions: list[str], threads: int, rounds: int, calls: int) -> dict:
    import numpy as np

    from common.inputs import input_dtypes
    from common.machine import tool_versions
    from common.tflite import op_names
    from common.variants import Component, Layout, Precision, Variant
    from convert.export import export_fp32, quantize
    from runtime.engine import Engine
    from scripts.bench.timing import log
    from upstream.source import load_model, resolve

    model = load_model(resolve(model_dir, offline=True))
    cfg = model.config
    rng = np.random.default_rng(0)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-dtypes-") as tmp:
        for comp, s in ((Component.LABELS, None), (Component.TEXT, seq_len)):
            fp32 = Variant(comp, Precision.FP32, s)
            files = {}
            for c in CONTRACTS:
                layout = Layout(c)
                path = Path(tmp) / f"{c}-{fp32}.tflite"
                t = time.time()
                export_fp32(model, [fp32], layout, path)
                log(f"exported {fp32} with the {c} contract in {time.time() - t:.0f} s")
                files[c, "fp32"] = (path, layout)
                for p in precisions:
                    if p != "fp32":
                        q = Path(tmp) / f"{c}-{Variant(comp, Precision.parse(p), s)}.tflite"
                        quantize(path, Precision.parse(p), q)
                        files[c, p] = (q, layout)
            arrays = _inputs(model, fp32, cfg, rng)
            for p in precisions:
                engines = {c: Engine.from_file(str(files[c, p][0]), threads) for c in CONTRACTS}
                sig = {c: next(iter(engines[c].signatures)) for c in CONTRACTS}
                outs = {c: engines[c].run(sig[c], arrays) for c in CONTRACTS}  # warm-up, and the outputs compared
                times = {c: [] for c in CONTRACTS}
                # Call by call in turns (order flipped each pair): a noisy neighbour slows both files alike.
                for i in range(rounds * calls):
                    for c in (CONTRACTS if i % 2 == 0 else CONTRACTS[::-1]):
                        t = time.perf_counter()
                        engines[c].run(sig[c], arrays)
                        times[c].append((time.perf_counter() - t) * 1e3)
                med = {c: statistics.median(times[c]) for c in CONTRACTS}
                row = {
                    "graph": str(Variant(comp, Precision.parse(p), s)), "precision": p, "calls": len(times["files"]),
                    "median_ms": med, "p10_ms": {c: float(np.percentile(times[c], 10)) for c in CONTRACTS},
                    "ratio_files_to_bundle": med["files"] / med["bundle"],
                    "bit_identical": all(np.array_equal(outs["bundle"][k], outs["files"][k]) for k in outs["bundle"]),
                    "bytes": {c: files[c, p][0].stat().st_size for c in CONTRACTS},
                    "input_dtypes": {c: input_dtypes(comp, files[c, p][1]) for c in CONTRACTS},
                    "only_builtin_ops": not any(o.startswith(("CUSTOM", "FLEX")) for c in CONTRACTS
                                                for o in op_names(files[c, p][0])),
                }
                rows.append(row)
                log(f"{row['graph']}: int32 {med['bundle']:.2f} ms, int64 {med['files']:.2f} ms "
                    f"(x{row['ratio_files_to_bundle']:.3f}), bit-identical {row['bit_identical']}")
                del engines
    return {"model": Path(model_dir).name, "seq_len": seq_len, "threads": threads, "rounds": rounds,
            "calls_per_round": calls, "tools": tool_versions(), "rows": rows}


def render(runs: list[dict]) -> str:
    out = [
        "# Input dtypes: what the seed card's int64 costs",
        "",
        "Generated by `python -m scripts.bench.dtypes` from the docs/bench-dtypes-*.json files; do not edit by hand.",
        "",
        "The same graph exported twice from the same weights: with the bundle's contract (int32 ids, masks, "
        "positions, span_idx and word_valid_mask) and with the seed files' (the seed card's int64, float32 "
        "word_valid_mask, cast to int32 by builtin CAST ops at the graph's entry). Timed through the runtime's "
        "Engine (LiteRT CompiledModel, XNNPACK), fed the runtime's int32 arrays, so the host-side cast to int64 is "
        "in the time; calls alternate between the two files. Ratios within a run are what to read: this machine "
        "is shared.",
        "",
        "| model | graph | calls | int32 median ms | int64 median ms | int64 / int32 | outputs | size int32 -> int64 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for b in runs:
        for r in b["rows"]:
            m, by = r["median_ms"], r["bytes"]
            out.append(
                f"| {b['model']} | {r['graph']} | {r['calls']} x 2 | {m['bundle']:.2f} | {m['files']:.2f} | "
                f"{r['ratio_files_to_bundle']:.3f} | {'bit-identical' if r['bit_identical'] else 'DIFFER'} | "
                f"{by['bundle']:,} -> {by['files']:,} B |"
            )
    rows = [r for b in runs for r in b["rows"]]
    ratios = [r["ratio_files_to_bundle"] for r in rows]
    extra = [(r["bytes"]["files"] - r["bytes"]["bundle"]) / 1e3 for r in rows]
    if rows:
        out += ["", f"Reading: over {len(rows)} graphs the int64 / int32 median ratio runs from {min(ratios):.3f} to "
                f"{max(ratios):.3f}, "
                + ("on both sides of 1 (the noise of a shared machine, not a cost); " if min(ratios) < 1 < max(ratios)
                   else "all on one side of 1; ")
                + f"outputs are bit-identical in {sum(r['bit_identical'] for r in rows)} of {len(rows)}; only builtin "
                f"ops in {sum(r['only_builtin_ops'] for r in rows)} of {len(rows)}; the int64 files are {min(extra):.0f} to "
                f"{max(extra):.0f} KB larger (measured on tiny: the tensor names, which carry the cast wrapper's module scope; the weights are the same, and the ops differ only around the inputs' casts)."]
    out += ["", "Runs: " + "; ".join(
        f"{b['model']} at S={b['seq_len']}: {b['threads']} threads, {b['rounds'] * b['calls_per_round']} calls per "
        f"file after one warm-up call" for b in runs) + "."]
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", help="GLiNER folder")
    ap.add_argument("--seq-len", type=int, default=256)
    ap.add_argument("--precisions", nargs="+", default=["fp32", "int8"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--calls", type=int, default=20, help="calls per file per round (calls alternate)")
    ap.add_argument("--json", type=Path, required=True)
    ap.add_argument("--doc", type=Path)
    ap.add_argument("--render-only", action="store_true", help="redraw --doc from the JSON files; measure nothing")
    a = ap.parse_args(argv)
    from common.files import atomic_write_bytes

    if not a.render_only:
        if not a.model:
            raise SystemExit("--model is required unless --render-only")
        b = measure(a.model, a.seq_len, a.precisions, a.threads, a.rounds, a.calls)
        atomic_write_bytes(a.json, (json.dumps(b, indent=1) + "\n").encode())
    runs = [json.loads(p.read_text()) for p in sorted(a.json.parent.glob("bench-dtypes-*.json"))]
    text = render(runs)
    if a.doc:
        atomic_write_bytes(a.doc, text.encode())
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
