"""Long texts: one long bucket against overlapping windows of a smaller one (max_seq_len), as an app runs them.

    python -m scripts.bench.long_texts --artifacts build/base-litert --tokens 1900 3900 7000 \\
        --caps none 2048 1024 --baseline "today (6548ede)=/tmp/old:build/old-litert" --dense 8000 --fp32 \\
        --json docs/bench-long-texts-base-random.json --doc docs/LONG-TEXTS.md

Each (text, cap) runs in a fresh process (peak RSS is the process's high-water mark, VmHWM): open the model,
encode the labels, tag the text once (the first call: buckets used for the first time) and three times more
(warm: their median).
Entity agreement between windows and one pass is measured on a trained model (tests and docs/RUNTIME.md):
random weights score every span near 0.5, so their entities say nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from common.files import shown_path

ROOT = Path(__file__).resolve().parents[2]


def _status_bytes(field: str) -> int:
    """A kB field of /proc/self/status, in bytes. Read here, not through common.memory: the baseline child runs
    an older checkout's packages, which may lack it."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(f"{field}:"))


# Warm calls per text, their median reported: one call of a long text on a shared 2-core machine swung by 10%.
WARM_RUNS = 3


def _first_and_warm(model, text: str, labels: list[str]) -> tuple[float, float, int]:
    """Labels encoded (cached), then the text tagged 1 + WARM_RUNS times: the first call (buckets used for the
    first time) and the median warm one, in seconds; and the anonymous memory the text's calls added (arenas,
    XNNPACK's workspace: the weights are file-backed, in the model file and the weight cache)."""
    import statistics

    model.encode_labels(labels)
    before = _status_bytes("RssAnon")
    times = []
    for _ in range(1 + WARM_RUNS):
        t = time.perf_counter()
        model.predict_entities(text, labels)
        times.append(time.perf_counter() - t)
    return times[0], statistics.median(times[1:]), _status_bytes("RssAnon") - before


def _child(artifacts: str, precision: str, threads: int, cap, text: str) -> dict:
    from common.memory import peak_rss_bytes
    from runtime import GLiNERLiteRT
    from scripts.bench.layouts import LABELS

    model = GLiNERLiteRT.from_pretrained(artifacts, precision=precision, num_threads=threads, max_seq_len=cap)
    prep = model.prepare(text)
    first, warm, anon = _first_and_warm(model, text, LABELS)
    buckets = [model.build_calls(prep, w, model.encode_labels(LABELS))[0].bucket.variant.seq_len for w in prep.windows]
    return {"windows": len(prep.windows), "buckets": buckets, "first_s": first, "warm_s": warm,
            "peak_rss": peak_rss_bytes(), "text_anon": anon}


def _baseline_child(repo: str, artifacts: str, precision: str, threads: int, text: str) -> dict:
    """Another checkout's runtime on its own artifacts, one pass of every bucket it has (no cap: older runtimes
    have none), timed and measured as _child does."""
    sys.path.insert(0, repo)
    from runtime import GLiNERLiteRT
    from scripts.bench.layouts import LABELS

    model = GLiNERLiteRT.from_pretrained(artifacts, precision=precision, num_threads=threads)
    first, warm, anon = _first_and_warm(model, text, LABELS)
    return {"first_s": first, "warm_s": warm, "peak_rss": _status_bytes("VmHWM"), "text_anon": anon}


def dense_text(artifacts: Path, target: int) -> dict:
    """A text of at most the model's max_len words whose tokens (specials included) stay within `target`: hex
    words of 16 characters (several tokens each), so that a long bucket runs as one pass. Ordinary prose needs
    ~2.4 tokens per word, and a base model's max_len (2,048 words) windows it before it fills S=8192; latency and
    memory at fixed S do not depend on the words."""
    import hashlib

    from scripts.bench.layouts import _pool

    _, tok = _pool(artifacts)
    max_len = json.loads((artifacts / "gliner_config.json").read_text())["max_len"]
    words = [hashlib.sha256(str(i).encode()).hexdigest()[:16] for i in range(max_len)]
    lo, hi = 1, max_len  # the most words within target (token counts grow with words)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if len(tok.encode(words[:mid], is_pretokenized=True).ids) <= target else (lo, mid - 1)
    return {"words": lo, "tokens": len(tok.encode(words[:lo], is_pretokenized=True).ids), "text": " ".join(words[:lo])}


def _texts(a) -> list[dict]:
    from scripts.bench.layouts import texts_by_tokens

    return texts_by_tokens(a.artifacts, a.tokens) + [dense_text(a.artifacts, t) for t in a.dense]


def run(artifacts: Path, precision: str, threads: int, cap, text: str, baseline_repo: str | None = None) -> dict:
    if baseline_repo is None:
        call = f"_child({str(artifacts)!r}, {precision!r}, {threads}, {cap!r}, json.loads({json.dumps(text)!r}))"
    else:
        call = (f"_baseline_child({baseline_repo!r}, {str(artifacts)!r}, {precision!r}, {threads}, "
                f"json.loads({json.dumps(text)!r}))")
    code = (f"import json, sys; sys.path.insert(0, {str(ROOT)!r}); "
            f"from scripts.bench.long_texts import _baseline_child, _child; print(json.dumps({call}))")
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env)
    if res.returncode != 0:
        raise RuntimeError(f"child failed ({res.returncode}): {res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def _mib(n: float) -> str:
    return f"{n / 2**20:,.0f}"


def _windows(r: dict) -> str:
    return f"{r['windows']} ({' '.join(map(str, r['buckets']))})"


def _md_row(*cells) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def render(b: dict) -> str:
    m = b["machine"]
    out = [
        "# Long texts: one long bucket or windows of a smaller one",
        "",
        f"Generated by `python -m scripts.bench.long_texts` from the JSON beside this file. {m['cpu']}, "
        f"{m['usable_cpus']} usable CPUs; `{Path(b['artifacts']).name}`, precision {b['precision']}, "
        f"{b['threads']} threads, labels cached; warm is the median of {b.get('warm_runs', 1)} calls after the "
        "first. Peak RSS is the whole process (model, weight cache, arenas). "
        "`cap` is `max_seq_len` (none: every bucket).",
        "",
        "`text anon` is the anonymous memory the text's calls added (arenas and XNNPACK's workspace; weights "
        "are file-backed); `ideal` is the most activation bytes alive at once in the largest bucket's graph, run "
        "in the file's op order with every dead buffer reused (`common.tflite.live_peak_bytes`).",
        "",
        "| text tokens (words) | cap | windows (buckets) | first call (s) | warm (s) | peak RSS (MiB) "
        "| text anon (MiB) | ideal (MiB) |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    live = b.get("live_peak", {})
    for r in b["rows"]:
        ideal = live.get(str(max(r["buckets"])))
        out.append(_md_row(f"{r['tokens']} ({r['words']})", r["cap"] or "none", _windows(r), f"{r['first_s']:.2f}",
                           f"{r['warm_s']:.2f}", _mib(r["peak_rss"]), _mib(r["text_anon"]),
                           "-" if ideal is None else _mib(ideal)))
    base = b.get("baseline")
    if base:
        out += ["", f"Against **{base['name']}** (runtime of `{base['repo']}` on `{Path(base['artifacts']).name}`, "
                "every bucket it has), in the same run, each text in a fresh process:", "",
                "| text tokens | baseline first / warm (s) | baseline peak RSS (MiB) | baseline text anon (MiB) "
                "| this runtime, no cap: warm | peak RSS |", "|---|---:|---:|---:|---:|---:|"]
        for r in base["rows"]:
            ours = next(x for x in b["rows"] if x["tokens"] == r["tokens"] and x["cap"] is None)
            out.append(_md_row(r["tokens"], f"{r['first_s']:.2f} / {r['warm_s']:.2f}", _mib(r["peak_rss"]),
                               _mib(r["text_anon"]), f"{ours['warm_s'] / r['warm_s']:.2f}x",
                               f"{ours['peak_rss'] / r['peak_rss']:.2f}x"))
    fp = b.get("fp32")
    if fp:
        out += ["", f"fp32, no cap, each text in a fresh process (the goal: the weights plus at most 1 GiB). The fp32 model "
                f"file is {fp['model_bytes'] / 2**20:,.0f} MiB (every graph's weights, stored once; the "
                "weight cache holds XNNPACK's packed copy of what the run used):", "",
                "| text tokens | windows (buckets) | first call (s) | warm (s) | peak RSS (MiB) | peak RSS - model file "
                "(MiB) | text anon (MiB) |", "|---|---|---:|---:|---:|---:|---:|"]
        for r in fp["rows"]:
            out.append(_md_row(r["tokens"], _windows(r), f"{r['first_s']:.2f}", f"{r['warm_s']:.2f}",
                               _mib(r["peak_rss"]), _mib(r["peak_rss"] - fp["model_bytes"]), _mib(r["text_anon"])))
    ag = b.get("agreement")
    if ag:
        out += ["", f"Entity agreement of windows of a capped bucket with one pass (entity F1, threshold 0.5, the "
                f"{len(ag['labels'])} core labels), on tiny-trained (`{Path(ag['artifacts']).name}`, every bucket) "
                f"with texts cut to {ag['words']} words so that one pass exists:", "",
                "| texts | cap | windows | entities (one pass) | entity F1 |", "|---|---|---:|---:|---:|"]
        for r in ag["rows"]:
            out.append(f"| {r['texts']} ({r['n_texts']}) | {r['cap']} | {r['windows']} | {r['entities']} | {r['f1']:.4f} |")
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--artifacts", type=Path, required=True)
    ap.add_argument("--precision", default="int8")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tokens", type=int, nargs="+", default=[1900, 3900, 7000])
    ap.add_argument("--caps", nargs="+", default=["none", "2048", "1024"])
    ap.add_argument("--json", type=Path, required=True)
    ap.add_argument("--doc", type=Path)
    ap.add_argument("--agreement-artifacts", type=Path,
                    help="a trained model's folder with every bucket (tiny-trained): entity F1 of windows vs one pass")
    ap.add_argument("--baseline", help="NAME=REPO:ARTIFACTS: another checkout's runtime on its artifacts, no cap, "
                    "measured beside this one (e.g. today's release)")
    ap.add_argument("--dense", type=int, nargs="*", default=[], metavar="TOKENS",
                    help="also token-dense texts of these many tokens within max_len words (one pass of a long bucket)")
    ap.add_argument("--fp32", action="store_true",
                    help="every text also runs in fp32, no cap (peak RSS against the fp32 model file)")
    ap.add_argument("--render-only", action="store_true")
    a = ap.parse_args(argv)
    from scripts.bench.layouts import emit

    return emit(a, lambda: measure(a), render)


def measure(a) -> dict:
    from common.machine import describe_machine

    rows = []
    for t in _texts(a):
        for cap in a.caps:
            c = None if cap == "none" else int(cap)
            r = run(a.artifacts.resolve(), a.precision, a.threads, c, t["text"])
            rows.append({"tokens": t["tokens"], "words": t["words"], "cap": c, **r})
            print(rows[-1], flush=True)
    from common.tflite import live_peak_bytes
    from common.variants import Precision, bundle_file_name

    bundle = a.artifacts / bundle_file_name(Precision.parse(a.precision))
    live = {str(s): live_peak_bytes(bundle, f"text_encoder_seq{s}") for s in sorted({max(r["buckets"]) for r in rows})}
    out = {"schema": 1, "artifacts": shown_path(a.artifacts), "precision": a.precision, "threads": a.threads,
           "warm_runs": WARM_RUNS, "machine": describe_machine(), "rows": rows, "live_peak": live}
    if a.baseline:
        name, _, where = a.baseline.partition("=")
        repo, _, artifacts = where.partition(":")
        if not (name and repo and artifacts):
            raise SystemExit(f"--baseline {a.baseline!r}: expected NAME=REPO:ARTIFACTS")
        base = []
        for t in _texts(a):
            r = run(Path(artifacts).resolve(), a.precision, a.threads, None, t["text"], baseline_repo=repo)
            base.append({"tokens": t["tokens"], "words": t["words"], **r})
            print(base[-1], flush=True)
        out["baseline"] = {"name": name, "repo": shown_path(repo), "artifacts": shown_path(artifacts), "rows": base}
    if a.fp32:
        from common import manifest as mf

        rows = []
        for t in _texts(a):
            r = run(a.artifacts.resolve(), "fp32", a.threads, None, t["text"])
            rows.append({"tokens": t["tokens"], "words": t["words"], **r})
            print(rows[-1], flush=True)
        bundle = mf.read(a.artifacts).artifacts[bundle_file_name(Precision.FP32).removesuffix(".tflite")]
        out["fp32"] = {"model_bytes": bundle.bytes, "rows": rows}
    if a.agreement_artifacts:
        out["agreement"] = agreement(a.agreement_artifacts, [int(c) for c in a.caps if c != "none"])
    return out


def agreement(artifacts: Path, caps: list[int], words: int = 560) -> dict:
    """Entity F1 of windows of a capped bucket against one pass, on a trained model (tiny-trained converted with
    every bucket): texts cut to `words` words, within its max_len (600), so that one pass exists to compare with.
    The texts are the tests' clean long text and eight noisy multi-script ones (tests/runtime_helpers.py)."""
    sys.path.insert(0, str(ROOT))
    from runtime import GLiNERLiteRT
    from runtime.words import split_words
    from tests.runtime_helpers import CORE_LABELS, f1, long_text, noisy_text

    def cut(t: str) -> str:
        w = split_words(t)
        return t[: w[min(words, len(w)) - 1][2]]

    texts = {"clean": [cut(long_text())], "noisy": [cut(noisy_text(seed)) for seed in range(8)]}
    one = GLiNERLiteRT.from_pretrained(artifacts, "fp32", num_threads=2)
    rows = []
    for name, ts in texts.items():
        want = [one.predict_entities(t, CORE_LABELS) for t in ts]
        assert all(len(one.prepare(t).windows) == 1 for t in ts), "the reference must be one pass"
        for cap in caps:
            m = GLiNERLiteRT.from_pretrained(artifacts, "fp32", num_threads=2, max_seq_len=cap)
            got = [m.predict_entities(t, CORE_LABELS) for t in ts]
            rows.append({"texts": name, "n_texts": len(ts), "cap": cap, "entities": sum(map(len, want)),
                         "windows": sum(len(m.prepare(t).windows) for t in ts), "f1": f1(want, got)})
            print(rows[-1], flush=True)
    return {"artifacts": str(artifacts), "words": words, "labels": list(CORE_LABELS), "rows": rows}

if __name__ == "__main__":
    sys.exit(main())
