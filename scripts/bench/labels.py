"""Any number of labels in one text pass (issue 14): the span path against the seed's 25 labels per text pass,
label encoding, label banks, memory with 10,000 labels, and span representations vs per-word halves.

    python -m scripts.bench.labels --artifacts DIR --name tiny-trained --json docs/bench-labels-tiny-trained.json
    python -m scripts.bench.labels --doc docs/BENCHMARKS-LABELS.md docs/bench-labels-*.json   # render only

Everything runs through the torch-free runtime on a converted bundle (int8 unless --precision). Memory is measured
in fresh child processes. Nothing here asserts a time: the goals are reported beside the measurements, and
ratios compare runs of one process.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common.files import shown_path

ROOT = Path(__file__).resolve().parents[2]
LABEL_COUNTS = (25, 1000, 10000)
SEED_PATH_COUNTS = (25, 1000)  # the seed's path at 10,000 labels is 400 text passes per call
TEXT_WORDS = 40
LONG_TOKENS = 2000
GOAL_RATIO = 1.5  # issue 14: 1,000 labels within 1.5x of 25 (40-word text, int8, labels cached)


def label_names(n: int) -> list[str]:
    """n distinct entity types (distinct to the labels tokenizer too): the realistic pool, then numbered."""
    from scripts.bench.texts import LABEL_POOL

    pool = list(LABEL_POOL)
    return (pool + [f"{pool[i % len(pool)]} {i}" for i in range(n)])[:n]


def _median_ms(fn, runs: int, warmup: int = 1) -> float:
    from scripts.bench.timing import time_calls

    return statistics.median(time_calls(fn, runs, warmup)) * 1e3


def long_text(rt, tokens: int) -> str:
    """Eval-suite prose of about `tokens` tokens of the model's text tokenizer."""
    from runtime.words import split_words
    from scripts.bench.texts import first_words, suite_texts

    pool = " ".join(suite_texts())
    n = tokens // 2
    while True:
        text = first_words(split_words, pool, n)
        words = [w for w, _, _ in split_words(text)]
        got = len(rt.text_tokenizer.encode(words, is_pretokenized=True).ids)
        if got >= tokens:
            return text
        n = int(n * tokens / got) + 1


def _child(artifacts: str, precision: str, threads: int, n_labels: int, tokens: int) -> dict:
    """A fresh process: open, encode n labels, predict one ~tokens-token text; RSS at each step."""
    from common.memory import peak_rss_bytes, proc_kib_bytes
    from runtime import GLiNERLiteRT

    def rss():
        return proc_kib_bytes("/proc/self/status", "VmRSS")

    # The span path at every count (by default up to max_types labels take the logits graph instead).
    rt = GLiNERLiteRT.from_pretrained(artifacts, precision=precision, num_threads=threads, span_scoring=True)
    text = long_text(rt, tokens)
    out = {"rss_open": rss()}
    labels = label_names(n_labels)
    rt.encode_labels(labels)
    out["rss_labels"] = rss()
    t = time.perf_counter()
    ents = rt.predict_entities(text, labels)
    out.update(predict_s=time.perf_counter() - t, rss_after=rss(), peak_rss=peak_rss_bytes(), entities=len(ents),
               anon_after=proc_kib_bytes("/proc/self/status", "RssAnon"),
               tokens=len(rt.text_tokenizer.encode(rt.prepare(text).words, is_pretokenized=True).ids),
               windows=len(rt.prepare(text).windows), scores_budget_bytes=rt.scores_budget_bytes)
    return out


def run_child(artifacts: Path, precision: str, threads: int, n_labels: int, tokens: int) -> dict:
    cmd = [sys.executable, "-m", "scripts.bench.labels", "--child", str(artifacts), "--precision", precision,
           "--threads", str(threads), "--child-labels", str(n_labels), "--child-tokens", str(tokens)]
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
    if res.returncode != 0:
        raise RuntimeError(f"child failed: {res.stderr[-2000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def halves_vs_reps(rt, prepared, runs: int) -> dict:
    """What each labels-independent output costs end to end on the 40-word text.

    Graph: the span graph (out_project's last layer per span) against the seed's logits graph at the same
    bucket, whose fused head is the per-word halves plus a 25-wide product (an upper bound for a halves graph).
    Host: scoring n labels from span representations (hidden wide) against from the halves (relu(a[s] + b[s + k]),
    4 x hidden wide, times each label's W2^T p); random values of the model's widths, the same chunked filter.
    """
    import numpy as np

    from common.inputs import SPANS_INPUTS
    from common.variants import Component, Variant
    from runtime.scoring import score_candidates

    (window,) = prepared.windows
    reps = rt.window_spans(prepared, window)
    n_tok = len(rt.text_tokenizer.encode(prepared.words, is_pretokenized=True).ids)
    seq = rt._bucket(n_tok, prepared.num_words).variant.seq_len
    text_v = Variant(Component.TEXT, rt.precision, seq)
    spans_v = Variant(Component.SPANS, rt.precision, seq)
    embeds = rt.encode_labels(label_names(25))
    calls = rt.build_calls(prepared, window, embeds)
    arrays = calls[0].arrays
    graph = {
        "logits_graph_ms": _median_ms(lambda: rt.artifacts.run(text_v, arrays), runs),
        "spans_graph_ms": _median_ms(lambda: rt.artifacts.run(spans_v, {k: arrays[k] for k in SPANS_INPUTS}), runs),
        "seq_len": seq,
    }
    d, k_max, w = rt.config.hidden_size, rt.config.max_width, prepared.num_words
    rng = np.random.default_rng(0)
    s_idx, k_idx = np.nonzero(np.arange(w)[:, None] + np.arange(k_max)[None, :] < w)
    a = rng.normal(size=(w, 4 * d)).astype(np.float32)
    b = rng.normal(size=(w + k_max, 4 * d)).astype(np.float32)
    flat = rng.normal(size=(len(s_idx), d)).astype(np.float32)
    host = {}
    for n in LABEL_COUNTS:
        p = (rng.normal(size=(n, d)) * 0.05).astype(np.float32)
        q = (rng.normal(size=(n, 4 * d)) * 0.01).astype(np.float32)

        def from_halves():
            hidden = np.maximum(a[s_idx] + b[s_idx + k_idx], 0)
            return score_candidates(hidden, q, 0.5, rt.scores_budget_bytes)

        host[str(n)] = {"reps_ms": _median_ms(lambda: score_candidates(flat, p, 0.5, rt.scores_budget_bytes), runs),
                        "halves_ms": _median_ms(from_halves, runs)}
    return {"spans": int(len(s_idx)), "hidden": d, "graph": graph, "host": host, "reps_shape": list(reps.shape)}


def measure(args) -> dict:
    from common.machine import describe_machine
    from runtime import GLiNERLiteRT
    from runtime.words import split_words
    from scripts.bench.texts import first_words, suite_texts

    # The span path at every count (by default up to max_types labels take the logits graph: the seed's path).
    rt = GLiNERLiteRT.from_pretrained(args.artifacts, precision=args.precision, num_threads=args.threads,
                                      span_scoring=True)
    seed = GLiNERLiteRT.from_pretrained(args.artifacts, precision=args.precision, num_threads=args.threads,
                                        span_scoring=False)
    text = first_words(split_words, " ".join(suite_texts()), TEXT_WORDS)
    prepared = rt.prepare(text)
    out = {"name": args.name, "artifacts": shown_path(args.artifacts), "precision": args.precision, "threads": args.threads,
           "openblas_num_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
           # Host scoring keeps one candidate per span without multi_label (runtime.scoring, best_label_only).
           "candidates": "best label per span",
           "machine": describe_machine(), "text_words": prepared.num_words,
           "text_tokens": len(rt.text_tokenizer.encode(prepared.words, is_pretokenized=True).ids), "predict": {}}
    for n in LABEL_COUNTS:
        labels = label_names(n)
        rt.clear_label_cache()
        t = time.perf_counter()
        rt.encode_labels(labels)
        cold = time.perf_counter() - t
        row = {"span_path_ms": _median_ms(lambda: rt.predict_entities(text, labels), args.runs),
               "encode_labels_s": cold}
        if n in SEED_PATH_COUNTS:
            seed.encode_labels(labels)
            row["seed_path_ms"] = _median_ms(lambda: seed.predict_entities(text, labels), max(3, args.runs // 3))
            key = lambda ents: [(e["start"], e["end"], e["label"]) for e in ents]  # noqa: E731
            row["same_entities_as_seed_path"] = key(seed.predict_entities(text, labels)) == key(
                rt.predict_entities(text, labels))
        out["predict"][str(n)] = row
        print(f"[bench] {n} labels: {row}", flush=True)
    p = out["predict"]
    out["ratio_1000_vs_25"] = p["1000"]["span_path_ms"] / p["25"]["span_path_ms"]
    out["ratio_10000_vs_25"] = p["10000"]["span_path_ms"] / p["25"]["span_path_ms"]
    out["seed_ratio_1000_vs_25"] = p["1000"]["seed_path_ms"] / p["25"]["seed_path_ms"]

    labels = label_names(1000)

    def encode_cold():
        rt.clear_label_cache()
        rt.encode_labels(labels)

    bulk = rt.artifacts.bulk_labels_variant
    enc = {"bulk_ms": _median_ms(encode_cold, 3)}
    rt.artifacts.bulk_labels_variant = None  # the 25-row graph only, as the seed's folder would run it
    try:
        enc["rows25_ms"] = _median_ms(encode_cold, 3)
    finally:
        rt.artifacts.bulk_labels_variant = bulk
    out["encode_1000"] = enc
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        rt.clear_label_cache()
        bank = rt.build_bank(labels)
        build_s = time.perf_counter() - t
        path = bank.save(Path(tmp) / "bank.npz")
        t = time.perf_counter()
        rt.load_bank(path)
        out["bank_1000"] = {"build_s": build_s, "bytes": path.stat().st_size, "load_s": time.perf_counter() - t}
    print(f"[bench] encode/bank: {enc} {out['bank_1000']}", flush=True)
    out["halves_vs_reps"] = halves_vs_reps(rt, prepared, args.runs)
    print(f"[bench] halves vs reps: {out['halves_vs_reps']}", flush=True)
    out["memory"] = {str(n): run_child(args.artifacts, args.precision, args.threads, n, LONG_TOKENS)
                     for n in (25, 10000)}
    print(f"[bench] memory: {out['memory']}", flush=True)
    return out


def _mib(b) -> str:
    return "-" if b is None else f"{b / 2**20:,.0f}"


def render(runs: list[dict]) -> str:
    lines = [
        "# Any number of labels in one text pass",
        "",
        "Generated by `python -m scripts.bench.labels` from the JSON files beside this one "
        f"({', '.join('`bench-labels-' + r['name'] + '.json`' for r in runs)}). "
        "The span path (on a bundle, the default for more than max_types labels; `span_scoring=True` here at every count) runs the labels-independent span graph once per text and scores "
        "every label on the host; the seed's path runs the logits graph once per 25 labels. Times are medians on a "
        "shared 2-core machine: compare within a row, not across runs.",
        "",
        "numpy's BLAS ran on one thread (`OPENBLAS_NUM_THREADS=1`, recorded in the JSON) while LiteRT used both "
        "cores: on this shared machine OpenBLAS's own threads, contending with LiteRT's and the other jobs', took "
        "35 ms for a [540 x 32] x [32 x 1,000] product that one thread computes in 0.8 ms. An app doing the host "
        "scoring should likewise leave the cores to LiteRT.",
        "",
    ]
    for r in runs:
        m = r["machine"]
        cpu = m.get("cpu", "") if isinstance(m, dict) else ""
        lines += [f"## {r['name']} ({r['precision']}, {r['threads']} threads{', ' + cpu if cpu else ''})", ""]
        lines += [f"A {r['text_words']}-word text ({r['text_tokens']} tokens), labels encoded once and cached.", "",
                  "| labels | span path (ms) | seed's path, 25 per pass (ms) | encode_labels, cold (s) |",
                  "|---:|---:|---:|---:|"]
        for n, row in r["predict"].items():
            seed = row.get("seed_path_ms")
            lines.append(f"| {int(n):,} | {row['span_path_ms']:.1f} | {'-' if seed is None else f'{seed:.1f}'} | "
                         f"{row['encode_labels_s']:.2f} |")
        ok = "met" if r["ratio_1000_vs_25"] <= GOAL_RATIO else "NOT met"
        lines += ["", f"- 1,000 labels take **{r['ratio_1000_vs_25']:.2f}x** the time of 25 on the span path "
                  f"(goal <= {GOAL_RATIO}x: {ok}); the seed's path took {r['seed_ratio_1000_vs_25']:.1f}x. "
                  f"10,000 labels: {r['ratio_10000_vs_25']:.2f}x. For scale: the span graph alone takes "
                  f"{r['halves_vs_reps']['graph']['spans_graph_ms']:.2f} ms (S={r['halves_vs_reps']['graph']['seq_len']}) "
                  f"of the 25-label call; the rest of the 1,000-label call is the host scoring "
                  f"{r['halves_vs_reps']['spans']} spans x 1,000 labels and decoding (host work grows with hidden "
                  "and labels; the graph's with the model).",
                  "- Entities of the two paths equal: "
                  + ", ".join(f"{n} labels {row['same_entities_as_seed_path']}" for n, row in r["predict"].items()
                              if "same_entities_as_seed_path" in row) + "."]
        e, b = r["encode_1000"], r["bank_1000"]
        lines += [f"- encode_labels for 1,000 new labels: {e['bulk_ms']:.0f} ms with the 128-row graph, "
                  f"{e['rows25_ms']:.0f} ms with the 25-row one alone.",
                  f"- Label bank of 1,000 labels: built in {b['build_s']:.2f} s, {b['bytes'] / 1e6:.2f} MB on disk "
                  f"(.npz), loaded and checked in {b['load_s'] * 1e3:.0f} ms."]
        mem = r["memory"]
        lo, hi = mem["25"], mem["10000"]
        lines += [f"- Memory, a {hi['tokens']:,}-token text ({hi['windows']} window(s)), fresh process: peak RSS "
                  f"{_mib(hi['peak_rss'])} MiB with 10,000 labels against {_mib(lo['peak_rss'])} MiB with 25 "
                  f"(after the call {_mib(hi['rss_after'])} vs {_mib(lo['rss_after'])} MiB; RssAnon "
                  f"{_mib(hi['anon_after'])} vs {_mib(lo['anon_after'])} MiB); predict took {hi['predict_s']:.2f} s vs "
                  f"{lo['predict_s']:.2f} s. Scores held at once: at most {_mib(hi['scores_budget_bytes'])} MiB."
                  + ("" if r.get("candidates") else
                     " **Measured before host scoring kept one candidate per span** (every passing (span, label) was "
                     "kept: random weights put every score near 0.5, so about half of the 10,000 x spans scores "
                     "were candidates; that is what the peak holds). Not re-run since."), ""]
        h = r["halves_vs_reps"]
        g = h["graph"]
        lines += ["### What the text graph outputs: span representations [S, K, D] or per-word halves [S, 4D]", "",
                  f"Bucket S={g['seq_len']}, {h['spans']} spans read, hidden {h['hidden']}. Graph: the span graph "
                  f"{g['spans_graph_ms']:.2f} ms against the logits graph {g['logits_graph_ms']:.2f} ms (its fused head "
                  "is the halves plus a 25-wide product: an upper bound for a halves graph). Host scoring:", "",
                  "| labels | from span representations (ms) | from halves (ms) |", "|---:|---:|---:|"]
        for n, x in h["host"].items():
            lines.append(f"| {int(n):,} | {x['reps_ms']:.2f} | {x['halves_ms']:.2f} |")
        reps_total = {n: g["spans_graph_ms"] + x["reps_ms"] for n, x in h["host"].items()}
        halves_total = {n: g["logits_graph_ms"] + x["halves_ms"] for n, x in h["host"].items()}
        lines += ["", "End to end (graph + host): " + "; ".join(
            f"{int(n):,} labels {reps_total[n]:.1f} ms with span representations vs <= {halves_total[n]:.1f} ms "
            "with halves" for n in h["host"]) + ".", ""]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--artifacts", type=Path, help="a converted bundle folder")
    ap.add_argument("--name", help="the model's name in the report (tiny-trained, base-random)")
    ap.add_argument("--precision", default="int8")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--json", type=Path, help="write the measurements here")
    ap.add_argument("--doc", type=Path, help="render these JSON files (positional) into this Markdown file")
    ap.add_argument("inputs", nargs="*", type=Path, help="JSON files to render with --doc")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--child-labels", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--child-tokens", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(_child(args.child, args.precision, args.threads, args.child_labels, args.child_tokens)))
        return 0
    from common.files import atomic_write_bytes

    if args.artifacts:
        if not (args.name and args.json):
            ap.error("--artifacts needs --name and --json")
        data = measure(args)
        atomic_write_bytes(args.json, (json.dumps(data, indent=1) + "\n").encode())
        print(f"[bench] wrote {args.json}")
    if args.doc:
        runs = [json.loads(p.read_text()) for p in (args.inputs or [args.json])]
        atomic_write_bytes(args.doc, render(runs).encode())
        print(f"[bench] wrote {args.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
