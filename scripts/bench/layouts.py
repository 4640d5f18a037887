"""Bundle vs per-bucket files, as an app lives them: RSS after a short text and after texts touching every bucket,
first-call and warm latency per bucket with and without the weight cache, end to end by text length.

    python -m scripts.bench.layouts --config "bundle=.:build/base-litert" --config "files@6548ede=/tmp/old:build/old" \\
        --json docs/bench-layouts-base-random.json --doc docs/BENCHMARKS-LAYOUTS.md

Each configuration is `name=REPO:ARTIFACTS[:key=value,...]`: the runtime of the checkout REPO (so today's code can
be measured beside the new one, same machine, same run) on ARTIFACTS, with from_pretrained keyword arguments
(e.g. cache_dir=false). Every configuration runs in fresh processes: one with its weight cache absent (`cold`),
one right after with the cache the first left (`warm`; equal to `cold` where there is no cache). Nothing here
asserts a time; `--render-only` redraws the Markdown from the JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common.files import shown_path

ROOT = Path(__file__).resolve().parents[2]
LABELS = ["person", "organization", "location", "date", "money", "product", "event", "disease"]
# Token targets of the bucket-touching texts: 64 ... 2048 of the bundle's ladder, each ~80% full.
TOKEN_TARGETS = (50, 100, 200, 400, 800, 1600)
E2E_WORDS = (10, 40, 150, 600, 2000)


def _child(repo: str, artifacts: str, precision: str, threads: int, kwargs: dict, texts: list[str], runs: int) -> dict:
    """Runs in a fresh process with `repo` first on sys.path: load, then each text in turn, first call and warm."""
    sys.path.insert(0, repo)
    from common.memory import proc_kib_bytes
    from runtime import GLiNERLiteRT

    def rss() -> int:
        return proc_kib_bytes("/proc/self/status", "VmRSS")

    def anon() -> int:
        # RssAnon: what the kernel cannot drop. The rest (RssFile: the mapped model and weight cache) is clean
        # page cache it reclaims under memory pressure and shares between processes.
        return proc_kib_bytes("/proc/self/status", "RssAnon")

    t0 = time.perf_counter()
    model = GLiNERLiteRT.from_pretrained(artifacts, precision=precision, num_threads=threads, **kwargs)
    model.encode_labels(LABELS)  # labels cached: the rows time the text path
    out = {"open_s": time.perf_counter() - t0, "rss_open": rss(), "anon_open": anon(), "texts": []}
    for text in texts:
        t = time.perf_counter()
        ents = model.predict_entities(text, LABELS)
        first = time.perf_counter() - t
        warm = []
        for _ in range(runs):
            t = time.perf_counter()
            model.predict_entities(text, LABELS)
            warm.append(time.perf_counter() - t)
        out["texts"].append({"first_s": first, "warm_s": statistics.median(warm), "rss_after": rss(),
                             "anon_after": anon(), "entities": len(ents)})
    return out


def run_child(repo: Path, artifacts: Path, precision: str, threads: int, kwargs: dict, texts: list[str],
              runs: int) -> dict:
    code = (f"import json, sys; sys.path.insert(0, {str(ROOT)!r}); from scripts.bench.layouts import _child; "
            f"print(json.dumps(_child({str(repo)!r}, {str(artifacts)!r}, {precision!r}, {threads}, "
            f"json.loads({json.dumps(kwargs)!r}), json.loads({json.dumps(texts)!r}), {runs})))")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(repo)}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=repo, env=env)
    if res.returncode != 0:
        raise RuntimeError(f"child failed ({res.returncode}): {res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def _pool(artifacts: Path):
    """The benchmark's word pool (the suite's fill sentences) and the artifacts' text tokenizer."""
    from tokenizers import Tokenizer

    from runtime.words import split_words
    from validate.suite import FILL_SENTENCES

    tok = Tokenizer.from_file(str(artifacts / "text_tokenizer" / "tokenizer.json"))
    return [w for w, _, _ in split_words(" ".join(FILL_SENTENCES * 8))], tok


def _text(words: list[str], tok, n: int) -> dict:
    return {"words": n, "tokens": len(tok.encode(words[:n], is_pretokenized=True).ids), "text": " ".join(words[:n])}


def texts_by_tokens(artifacts: Path, targets) -> list[dict]:
    """The longest prefixes of the pool whose token counts (specials included) stay within each target."""
    import itertools

    from runtime.windows import tokens_per_word

    words, tok = _pool(artifacts)
    # Pre-tokenized words are encoded one by one, so a prefix's tokens are its words' tokens plus the specials.
    used = [tok.num_special_tokens_to_add(False) + c for c in
            itertools.accumulate(tokens_per_word(tok.encode(words, is_pretokenized=True).word_ids, len(words)))]
    return [_text(words, tok, max(1, sum(u <= target for u in used))) for target in targets]


def texts_by_words(artifacts: Path, counts) -> list[dict]:
    words, tok = _pool(artifacts)
    return [_text(words, tok, n) for n in counts]


def parse_config(spec: str) -> dict:
    name, _, rest = spec.partition("=")
    parts = rest.split(":")
    if not name or len(parts) < 2:
        raise SystemExit(f"--config {spec!r}: expected name=REPO:ARTIFACTS[:key=value,...]")
    kwargs = {}
    for kv in (parts[2].split(",") if len(parts) > 2 and parts[2] else []):
        k, _, v = kv.partition("=")
        kwargs[k] = {"false": False, "true": True}.get(v.lower(), v)
    return {"name": name, "repo": str(Path(parts[0]).resolve()), "artifacts": str(Path(parts[1]).resolve()),
            "kwargs": kwargs}


def measure(configs: list[dict], precision: str, threads: int, runs: int) -> dict:
    from common.machine import describe_machine

    first = Path(configs[0]["artifacts"])
    bucket_texts = texts_by_tokens(first, TOKEN_TARGETS)
    e2e_texts = texts_by_words(first, E2E_WORDS)
    rows = []
    for c in configs:
        art = Path(c["artifacts"])
        cache = art / ".litert-cache"
        shutil.rmtree(cache, ignore_errors=True)
        row = {**c, "sizes": {p.name: p.stat().st_size for p in art.glob("*.tflite")}, "runs": {}}
        for phase in ("cold", "warm"):
            row["runs"][phase] = run_child(Path(c["repo"]), art, precision, threads, c["kwargs"],
                                           [t["text"] for t in bucket_texts], runs)
        row["cache_bytes"] = sum(p.stat().st_size for p in cache.glob("*")) if cache.is_dir() else 0
        row["runs"]["e2e"] = run_child(Path(c["repo"]), art, precision, threads, c["kwargs"],
                                       [t["text"] for t in e2e_texts], runs)
        rows.append({**row, "repo": shown_path(c["repo"]), "artifacts": shown_path(c["artifacts"])})
    strip = lambda ts: [{k: v for k, v in t.items() if k != "text"} for t in ts]  # noqa: E731
    return {"schema": 1, "precision": precision, "threads": threads, "runs": runs, "labels": len(LABELS),
            "machine": describe_machine(), "bucket_texts": strip(bucket_texts), "e2e_texts": strip(e2e_texts),
            "configs": rows}


def _mib(n) -> str:
    return f"{n / 2**20:,.0f}"


def render(b: dict) -> str:
    m = b["machine"]
    cfgs = b["configs"]
    out = [
        "# Bundle vs per-bucket files",
        "",
        f"Generated by `python -m scripts.bench.layouts` (JSON: the file beside this one). {m['cpu']}, "
        f"{m['usable_cpus']} usable CPUs, SIMD {' '.join(m['simd']) or '–'}; precision {b['precision']}, "
        f"{b['threads']} threads, {b['labels']} labels (encoded once, cached), warm = median of {b['runs']} calls. "
        "Every configuration ran in fresh processes in one run of the script, so ratios compare like with like.",
        "",
        "Configurations:",
        "",
    ]
    for c in cfgs:
        kw = ", ".join(f"{k}={v}" for k, v in c["kwargs"].items()) or "defaults"
        size = sum(c["sizes"].values()) / 1e6
        repo = "this repository" if c["repo"] == "." else f"`{c['repo']}`"
        out.append(f"- **{c['name']}**: runtime of {repo} on `{c['artifacts']}` ({kw}); "
                   f"{len(c['sizes'])} .tflite file(s), {size:,.1f} MB; weight cache left on disk "
                   f"{c['cache_bytes'] / 1e6:,.1f} MB")
    bt = b["bucket_texts"]
    anon = "anon_open" in cfgs[0]["runs"]["warm"]
    out += ["", "## Memory: RSS (MiB) after opening and after each text in turn"
            + (" (in brackets: RssAnon, the part the kernel cannot reclaim; the rest is the mapped model and "
               "weight cache, clean page cache)" if anon else ""), "",
            "| configuration | phase | open (s) | after open | " + " | ".join(f"{t['tokens']} tok" for t in bt) + " |",
            "|---|---|---:|---:|" + "---:|" * len(bt)]
    for c in cfgs:
        for phase in ("cold", "warm"):
            r = c["runs"][phase]
            def cell(total, a):
                return _mib(total) + (f" ({_mib(a)})" if a is not None else "")

            out.append(f"| {c['name']} | {phase} | {r['open_s']:.2f} | {cell(r['rss_open'], r.get('anon_open'))} | "
                       + " | ".join(cell(t["rss_after"], t.get("anon_after")) for t in r["texts"]) + " |")
    out += ["", "## Latency per text (ms): first call / warm", "",
            "| configuration | phase | " + " | ".join(f"{t['tokens']} tok" for t in bt) + " |",
            "|---|---|" + "---:|" * len(bt)]
    for c in cfgs:
        for phase in ("cold", "warm"):
            r = c["runs"][phase]
            out.append(f"| {c['name']} | {phase} | " + " | ".join(
                f"{t['first_s'] * 1e3:,.0f} / {t['warm_s'] * 1e3:,.0f}" for t in r["texts"]) + " |")
    et = b["e2e_texts"]
    out += ["", "## End to end by text length (warm, ms)", "",
            "| configuration | " + " | ".join(f"{t['words']} words ({t['tokens']} tok)" for t in et) + " |",
            "|---|" + "---:|" * len(et)]
    for c in cfgs:
        out.append(f"| {c['name']} | " + " | ".join(f"{t['warm_s'] * 1e3:,.0f}" for t in c["runs"]["e2e"]["texts"]) + " |")
    if len(cfgs) > 1:
        base = cfgs[-1]
        out += ["", f"Ratios against **{base['name']}** (same run):", ""]
        for c in cfgs[:-1]:
            r, q = c["runs"]["warm"], base["runs"]["warm"]
            short = r["texts"][0]["rss_after"] / q["texts"][0]["rss_after"]
            upto = r["texts"][-1]["rss_after"] / q["texts"][-1]["rss_after"]
            e2e = c["runs"]["e2e"]["texts"][0]["warm_s"] / base["runs"]["e2e"]["texts"][0]["warm_s"]
            first = max(t["first_s"] / t["warm_s"] for t in r["texts"])
            out.append(f"- {c['name']}: RSS after the shortest text {short:.2f}x, after every bucket up to "
                       f"{bt[-1]['tokens']} tokens {upto:.2f}x; {et[0]['words']}-word text end to end {e2e:.2f}x; "
                       f"worst first call with the cache present {first:.2f}x its warm call")
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", action="append", default=[], help="name=REPO:ARTIFACTS[:key=value,...] (repeat)")
    ap.add_argument("--precision", default="int8")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", type=Path, required=True)
    ap.add_argument("--doc", type=Path)
    ap.add_argument("--render-only", action="store_true", help="redraw --doc from --json")
    a = ap.parse_args(argv)
    if not (a.render_only or a.config):
        raise SystemExit("give at least one --config")
    return emit(a, lambda: measure([parse_config(c) for c in a.config], a.precision, a.threads, a.runs), render)


def emit(a, measure_fn, render_fn) -> int:
    """The JSON is the truth: measure and write it (unless --render-only reads it back), then draw --doc from it."""
    from common.files import atomic_write_bytes

    if a.render_only:
        b = json.loads(a.json.read_text())
    else:
        b = measure_fn()
        atomic_write_bytes(a.json, (json.dumps(b, indent=1) + "\n").encode())
    if a.doc:
        atomic_write_bytes(a.doc, render_fn(b).encode())
    print(render_fn(b))
    return 0


if __name__ == "__main__":
    sys.exit(main())
