"""The gliner-bi-v2 family at full size (random weights): build, convert, validate, measure -> JSON -> docs/FAMILY.md.

One member per run, each command a child process whose peak RSS is read with wait4 (its own, not the parent's):

    flock /work/build/.fullsize.lock python -m scripts.family run edge --work /work/build/family-edge
    python -m scripts.family render build/family-*/family.json --json docs/family.json --doc docs/FAMILY.md

`run` writes WORK/family.json; `render` merges members' JSON into one file and draws the Markdown from it alone.
Nothing here asserts a timing: ratios are compared within one render's runs (same machine, same day).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common.files import shown_argv, shown_path  # noqa: E402  (after the path insert: run as a file too)

MEMBERS = ("edge", "small", "base", "large")
# The DeBERTa-v3 text encoders of the gliner-bi-*-v1.0 models (build_fixtures.DEBERTA_FAMILY; no card parameter
# count is known offline). `run` takes them like the v2 members; `render` draws only the v2 family's page.
DEBERTA_MEMBERS = ("deberta-small", "deberta-base", "deberta-large")
SEQ_LENS = (256, 1024)
PRECISIONS = ("fp32", "int8")
FLATBUFFER_LIMIT = 2**31  # a .tflite flatbuffer addresses its buffers with 32-bit signed offsets
LABELS = ["person", "organization", "location", "date", "product", "event", "disease", "money"]


def run_child(cmd: list[str], log: Path) -> dict:
    """Runs `cmd` (stdout and stderr to `log`); its wall time, exit code and peak RSS (wait4: this child and the
    children it waited for)."""
    t = time.time()
    with open(log, "w") as f:
        p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, cwd=ROOT, env={**os.environ, "HF_HUB_OFFLINE": "1"})
        _, status, usage = os.wait4(p.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    return {"seconds": round(time.time() - t, 1), "exit_code": code, "peak_rss_bytes": usage.ru_maxrss * 1024,
            "log": shown_path(log), "tail": "" if code == 0 else log.read_text(errors="replace")[-1500:]}


def parameter_counts(model_dir: Path) -> dict:
    """Parameters per part from the safetensors header (no model load): labels encoder + its projection, the
    LSTM (saved, never called by the bi-encoder) and the rest (text encoder, projection, heads)."""
    from safetensors import safe_open

    counts = {"labels": 0, "lstm": 0, "text_and_heads": 0}
    with safe_open(model_dir / "model.safetensors", "np") as f:
        for k in f.keys():
            n = 1
            for d in f.get_slice(k).get_shape():
                n *= d
            part = ("labels" if k.startswith(("token_rep_layer.labels_encoder.", "token_rep_layer.labels_projection."))
                    else "lstm" if k.startswith("rnn.") else "text_and_heads")
            counts[part] += n
    counts["total"] = sum(counts.values())
    return counts


def validation_rows(report: dict) -> list[dict]:
    """The numbers FAMILY.md prints, per validated graph."""
    rows = []
    for r in report["results"]:
        st = r["stats"]
        row = {"variant": r["variant"], "precision": r["precision"], "seq_len": r["seq_len"], "passed": r["passed"],
               "failures": r["failures"]}
        if r["component"] == "labels" and "labels" in st:
            row |= {"relative_error": st["labels"]["relative_error"], "min_cosine": st["labels"]["min_cosine"]}
        elif "upstream_labels" in st:
            row |= {"relative_error": st["upstream_labels"]["relative_error"],
                    "entity_f1_app_path": {t: e["f1"] for t, e in st.get("tflite_labels", {}).get("entities", {}).items()},
                    "items": st["upstream_labels"]["items"]}
        rows.append(row)
    return rows


def run_member(a) -> int:
    from scripts.build_fixtures import DEBERTA_FAMILY, FAMILY

    work = a.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    model, arts = work / "model", work / "litert"
    text, labels_cfg, hidden, card = FAMILY[a.member] if a.member in FAMILY else (*DEBERTA_FAMILY[a.member], None)
    out = {"member": a.member, "card_parameters": card, "gliner_hidden": a.gliner_hidden or hidden,
           "text_encoder": text, "labels_encoder": labels_cfg, "seq_lens": list(a.seq_lens), "threads": a.threads,
           "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "command": ["python", "-m", "scripts.family", *shown_argv(sys.argv[1:])]}
    py = sys.executable
    if not (model / "model.safetensors").is_file():
        cmd = [py, "scripts/build_fixtures.py", f"{a.member}-random", "--out", str(model)]
        if a.gliner_hidden:
            cmd += ["--gliner-hidden", str(a.gliner_hidden)]
        out["build"] = run_child(cmd, work / "build.log")
    out["parameters"] = parameter_counts(model)

    cmd = [py, "-m", "convert", "--model", str(model), "--out", str(arts), "--layout", "bundle",
           "--seq-lens", *map(str, a.seq_lens), "--precisions", *PRECISIONS]
    out["convert"] = run_child(cmd + (["--force"] if a.force else []), work / "convert.log")
    from common import manifest as mf

    man = mf.read(arts) if (arts / "manifest.json").is_file() else None
    out["files"] = files_of(man)
    _save(work, out)
    if man is None or not out["files"]:
        print(f"{a.member}: conversion failed; see {work / 'convert.log'}", file=sys.stderr)
        return 1

    only = [f"gliner_bi_{p}/text_encoder_seq{a.seq_lens[0]}" for p in out["files"]]
    cmd = [py, "-m", "validate", "--model", str(model), "--artifacts", str(arts), "--random-weights",
           "--suite-limit", str(a.suite_limit), "--threads", str(a.threads), "--report", str(work / "report"),
           "--only", *only]
    out["validate"] = run_child(cmd, work / "validate.log")
    rep = work / "report" / "report.json"
    out["validation"] = validation_rows(json.loads(rep.read_text())) if rep.is_file() else []
    _save(work, out)

    out["runtime"] = {}
    for p in out["files"]:
        res = work / f"measure-{p}.json"
        cmd = [py, "-m", "scripts.family", "measure", str(arts), p, "--threads", str(a.threads), "--runs",
               str(a.runs), "--seq-lens", *map(str, a.seq_lens), "--out", str(res)]
        child = run_child(cmd, work / f"measure-{p}.log")
        out["runtime"][p] = {"child": child, **(json.loads(res.read_text()) if res.is_file() else {})}
        _save(work, out)
    print(f"wrote {work / 'family.json'}")
    return 0


def files_of(man) -> dict:
    """Per precision: the bundle, its size, and the conversion's own record of its time and peak RSS (VmHWM,
    reset per file: the fp32 export's peak, which wait4's ru_maxrss loses once the reset has run)."""
    if man is None:
        return {}
    return {art.precision.suffix: {"file": art.file, "bytes": art.bytes, "graphs": [g.signature for g in art.graphs],
                                   "convert_seconds": art.convert_seconds, "peak_rss_bytes": art.peak_rss_bytes}
            for art in man.artifacts.values()}


def refresh(a) -> int:
    """Re-reads each member's manifest into its family.json `files` (nothing reconverted)."""
    from common import manifest as mf

    for path in a.results:
        out = json.loads(path.read_text())
        out["files"] = files_of(mf.read(path.parent / "litert"))
        _save(path.parent, out)
    return 0


def _save(work: Path, out: dict) -> None:
    from common.files import atomic_write_bytes

    atomic_write_bytes(work / "family.json", (json.dumps(out, indent=1) + "\n").encode())


def measure(a) -> int:
    """In a fresh process: open the folder with the runtime, predict one text filling ~90% of the smallest
    bucket (the RSS an app pays at that S), then time the text graph alone at each bucket (median of --runs)."""
    import resource
    import statistics

    import numpy as np

    from runtime import GLiNERLiteRT
    from validate.suite import fill_text

    rt = GLiNERLiteRT.from_pretrained(a.artifacts, a.precision, num_threads=a.threads)
    embeds = rt.encode_labels(LABELS)
    tok = rt.text_tokenizer
    out: dict = {"labels": len(LABELS), "latency_ms": {}, "tokens": {}}
    for i, s in enumerate(sorted(a.seq_lens)):
        text = fill_text(lambda t: len(tok.encode(t).ids), int(0.9 * s))
        prepared = rt.prepare(text)
        calls = rt.build_calls(prepared, prepared.windows[0], embeds)
        assert len(calls) == 1 and calls[0].bucket.variant.seq_len == s, (s, [c.bucket.variant for c in calls])
        if i == 0:
            rt.predict_entities(text, LABELS)
            out["rss_after_predict_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            out["rss_seq_len"] = s
        rt.run_call(calls[0])  # first call: XNNPACK packs weights / allocates
        times = []
        for _ in range(a.runs):
            t = time.perf_counter()
            rt.run_call(calls[0])
            times.append((time.perf_counter() - t) * 1e3)
        out["latency_ms"][str(s)] = round(statistics.median(times), 2)
        out["tokens"][str(s)] = int(np.asarray(calls[0].arrays["attention_mask"]).sum())
    out["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    Path(a.out).write_text(json.dumps(out) + "\n")
    return 0


def compare(a) -> int:
    """Latency of several members in one process, calls interleaved round by round (member x precision x S), so
    a load change on the shared machine hits every member alike: the ratios between members come from here."""
    import statistics

    from runtime import GLiNERLiteRT
    from validate.suite import fill_text

    calls, times = {}, {}
    for spec in a.members:
        name, folder = spec.split("=", 1)
        for p in a.precisions:
            rt = GLiNERLiteRT.from_pretrained(folder, p, num_threads=a.threads)
            embeds = rt.encode_labels(LABELS)
            for s in a.seq_lens:
                text = fill_text(lambda t: len(rt.text_tokenizer.encode(t).ids), int(0.9 * s))
                prepared = rt.prepare(text)
                (call,) = rt.build_calls(prepared, prepared.windows[0], embeds)
                assert call.bucket.variant.seq_len == s
                rt.run_call(call)  # warm-up: weights packed, buffers allocated
                calls[name, p, s] = (rt, call)
    for _ in range(a.rounds):
        for key, (rt, call) in calls.items():
            t = time.perf_counter()
            rt.run_call(call)
            times.setdefault(key, []).append((time.perf_counter() - t) * 1e3)
    out = {"threads": a.threads, "rounds": a.rounds, "labels": len(LABELS),
           "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "command": ["python", "-m", "scripts.family", *shown_argv(sys.argv[1:])],
           "latency_ms": [{"member": n, "precision": p, "seq_len": s, "median": round(statistics.median(v), 2),
                           "min": round(min(v), 2), "max": round(max(v), 2)} for (n, p, s), v in times.items()]}
    from common.files import atomic_write_bytes

    atomic_write_bytes(a.out, (json.dumps(out, indent=1) + "\n").encode())
    print(f"wrote {a.out}")
    return 0


# ------------------------------------------------------------------------------------------------ render

def _mb(n) -> str:
    return "–" if n is None else f"{n / 1e6:.1f}"


def _error_lines(tail: str) -> str:
    """What a failed child said: its `error:` lines (convert's refusal) when it printed any, else the log's end."""
    errors = [line for line in tail.splitlines() if line.startswith("error:")]
    return "\n".join(errors) if errors else tail.strip()[-1200:]


def _card(x: dict) -> str:
    return "–" if x.get("card_parameters") is None else f"{x['card_parameters'] / 1e6:.0f}M"


def _gb(n) -> str:
    return "–" if n is None else f"{n / 2**30:.2f}"


def conversion_peak(x: dict) -> int:
    """The conversion's peak RSS: the per-file VmHWM convert records (its fp32 export) or wait4's, the larger."""
    return max([x["convert"]["peak_rss_bytes"]] + [f.get("peak_rss_bytes") or 0 for f in x["files"].values()])


def render(data: dict, title: str = "# The gliner-bi-v2 family (generated)", source: str = "docs/family.json") -> str:
    ms = {m["member"]: m for m in data["members"]}
    order = [m for m in MEMBERS + DEBERTA_MEMBERS if m in ms]
    L = [title, "",
         f"Generated by `python -m scripts.family render` from `{source}`; do not edit by hand. Each member",
         "is its full architecture with random weights (`scripts/build_fixtures.py <member>-random`), converted",
         f"as bundles (S = {', '.join(map(str, data['members'][0]['seq_lens']))}; fp32 and int8), validated against "
         "upstream gliner at the smallest S, and timed with the runtime, one member at a time under the full-size "
         "lock, on a machine shared with other work: compare ratios within this table, not absolute times across "
         "runs.", ""]
    L += ["## Shapes and parameters", "",
          "| member | text encoder (layers / hidden / heads / intermediate) | labels encoder | gliner hidden | "
          "parameters (graphs: text + heads / labels; LSTM unused) | card |", "|---|---|---|---|---|---|"]
    for m in order:
        x = ms[m]
        t, lab, p = x["text_encoder"], x["labels_encoder"], x["parameters"]
        L.append(f"| {m} | {t['num_hidden_layers']} / {t['hidden_size']} / {t['num_attention_heads']} / "
                 f"{t['intermediate_size']} | {lab['num_hidden_layers']} / {lab['hidden_size']} / "
                 f"{lab['num_attention_heads']} / {lab['intermediate_size']} | {x['gliner_hidden']} | "
                 f"{p['total'] / 1e6:.1f}M ({p['text_and_heads'] / 1e6:.1f}M / {p['labels'] / 1e6:.1f}M; "
                 f"{p['lstm'] / 1e6:.1f}M) | {_card(x)} |")
    L += ["", "## Conversion", "",
          "| member | fp32 bundle MB | int8 bundle MB | conversion s (whole run: load, fp32, int8) | "
          "peak conversion RSS GiB | status |",
          "|---|---|---|---|---|---|"]
    for m in order:
        x = ms[m]
        c, f = x["convert"], x["files"]
        status = "ok" if c["exit_code"] == 0 else f"exit {c['exit_code']}: see below"
        L.append(f"| {m} | {_mb(f.get('fp32', {}).get('bytes'))} | {_mb(f.get('int8', {}).get('bytes'))} | "
                 f"{c['seconds']:.0f} | {_gb(conversion_peak(x))} | {status} |")
    L += ["", "Each bundle holds the labels encoder and every text signature, weights once (the int8 bundle is "
          "what an app ships for that precision: text + labels).", ""]
    L += ["## Parity against upstream (S = %d, random weights)" % data["members"][0]["seq_lens"][0], "",
          "| member | graph | passed | relative error | labels min cosine | int8 entity F1 @0.5 (app path, not judged) |",
          "|---|---|---|---|---|---|"]
    for m in order:
        for r in ms[m].get("validation", []):
            ok = "yes" if r["passed"] else "NO: " + "; ".join(r["failures"])
            cos = f"{r['min_cosine']:.5f}" if "min_cosine" in r else "–"
            f1 = r.get("entity_f1_app_path", {}).get("0.5")
            f1 = f"{f1:.3f}" if f1 is not None and r["precision"] != "fp32" else "–"
            L.append(f"| {m} | {r['variant']} | {ok} | {r.get('relative_error', float('nan')):.2e} | {cos} | {f1} |")
    seqs = [str(s) for s in data["members"][0]["seq_lens"]]
    cmp = data.get("compare")
    lat: dict = {m: {p: dict(ms[m].get("runtime", {}).get(p, {}).get("latency_ms", {})) for p in PRECISIONS}
                 for m in order}
    how = ("median of the runs of one call in a fresh process per member and precision (`run`): members measured "
           "minutes apart")
    if cmp:
        lat = {m: {p: {} for p in PRECISIONS} for m in order}
        for r in cmp["latency_ms"]:
            if r["member"] in lat:
                lat[r["member"]][r["precision"]][str(r["seq_len"])] = r["median"]
        missing = [m for m in order if not any(lat[m].values())]
        for m in missing:  # not in the interleaved run: its own run's numbers, marked
            lat[m] = {p: dict(ms[m].get("runtime", {}).get(p, {}).get("latency_ms", {})) for p in PRECISIONS}
        how = (f"median of {cmp['rounds']} rounds in one process (`compare`, {cmp['started']}), every member's call "
               "interleaved in each round, so load on the shared machine hits all alike: the ratios between members "
               "are this table's point")
    L += ["", f"## Runtime ({data['members'][0]['threads']} threads, {len(LABELS)} labels)", "",
          f"Text graph latency (a text filling ~90% of the bucket): {how}. RSS: peak of a fresh process that opened "
          "the folder and ran one predict_entities at the smallest bucket.", "",
          "| member | " + " | ".join(f"fp32 ms S={s} | int8 ms S={s}" for s in seqs) + " | int8/fp32 S=" +
          " / ".join(seqs) + " | RSS fp32 / int8 MiB | int8 S=" + seqs[0] + " vs base |",
          "|---|" + "---|" * (2 * len(seqs) + 3)]
    base = lat.get("base", {}).get("int8", {}).get(seqs[0])
    for m in order:
        rt, lm = ms[m].get("runtime", {}), lat[m]
        cells = [f"{lm['fp32'].get(s, float('nan')):.1f} | {lm['int8'].get(s, float('nan')):.1f}" for s in seqs]
        ratios = " / ".join(f"{lm['int8'][s] / lm['fp32'][s]:.2f}" if s in lm["int8"] and s in lm["fp32"] else "–"
                            for s in seqs)
        rss = " / ".join(f"{rt[p]['rss_after_predict_bytes'] / 2**20:.0f}" if "rss_after_predict_bytes" in rt.get(p, {})
                         else "–" for p in PRECISIONS)
        mine = lm["int8"].get(seqs[0])
        mark = " (own run, not interleaved)" if cmp and m in missing else ""
        vs = f"{mine / base:.2f}x" if mine and base and not mark else "–"
        L.append(f"| {m}{mark} | {' | '.join(cells)} | {ratios} | {rss} | {vs} |")
    G: list[str] = []
    edge = ms.get("edge")
    if edge and "int8" in edge["files"]:
        b = edge["files"]["int8"]["bytes"]
        G.append(f"- edge int8 bundle (text + labels) {b / 1e6:.1f} MB: {'meets' if b <= 70e6 else 'MISSES'} <= 70 MB.")
    if edge and base:
        e = lat["edge"]["int8"].get(seqs[0])
        if e:
            when = "interleaved in one run" if cmp else "separate runs minutes apart: noisy"
            G.append(f"- edge int8 S={seqs[0]} latency {e / base:.2f}x base's ({when}): "
                     f"{'meets' if e / base <= 0.35 else 'MISSES'} <= 0.35x.")
    large = ms.get("large")
    if large:
        fp = large["files"].get("fp32", {}).get("bytes")
        fits = fp is not None and fp < FLATBUFFER_LIMIT
        G.append(f"- large: fp32 bundle {_mb(fp)} MB against the {FLATBUFFER_LIMIT / 1e6:.0f} MB a flatbuffer "
                 f"addresses ({'fits: every precision converts' if fits else 'does not fit'}); a model past it is "
                 "refused before export by convert.run.check_flatbuffer_limit, naming --layout files. Peak "
                 f"conversion RSS {_gb(conversion_peak(large))} GiB "
                 f"({'meets' if conversion_peak(large) <= 12e9 else 'MISSES'} <= 12 GB).")
    if G:
        L += ["", "## Goals", "", *G]
    failed = [m for m in order if ms[m]["convert"]["exit_code"] != 0]
    for m in failed:
        L += ["", f"### {m}: conversion exited {ms[m]['convert']['exit_code']}", "", "```",
              _error_lines(ms[m]["convert"]["tail"]), "```"]
    L += ["", "## Runs", ""]
    L += [f"- {m}: started {ms[m]['started']}, `{' '.join(ms[m].get('command', []))}`" for m in order]
    if cmp:
        L.append(f"- latency: started {cmp['started']}, `{' '.join(cmp['command'])}`")
    return "\n".join(L) + "\n"


def render_doc(data: dict, deberta: dict | None = None, checkpoints: dict | None = None) -> str:
    """docs/FAMILY.md: the public checkpoints and whether they convert, then the measured offline members: the
    gliner-bi-v2 family (docs/family.json) and the DeBERTa-v3 text encoders of the v1.0 models
    (docs/family-deberta.json), each table drawn from its JSON alone."""
    from scripts.family_checkpoints import section

    L = ["# The GLiNER bi-encoder family (generated)", "",
         "Generated by `python -m scripts.family render` from docs/family-checkpoints.json, docs/family.json and "
         "docs/family-deberta.json; do not edit by hand.", ""]
    if checkpoints:
        members = {m["member"]: m for m in data["members"] + (deberta or {}).get("members", [])}
        L += section(checkpoints, members)
    L.append(_demote(render(data, "## The gliner-bi-v2 family (ModernBERT text encoders)")))
    if deberta:
        L.append(_demote(render(deberta, "## DeBERTa-v3 text encoders (the gliner-bi v1.0 shapes)",
                                "docs/family-deberta.json")))
        mach = deberta.get("machine")
        if mach:
            vnni = any("vnni" in f for f in mach["simd"])
            L += [f"Measured on {mach['cpu']} ({', '.join(mach['simd'])}). " + (
                "With VNNI, XNNPACK runs dynamic int8 FCs with its QDU8 kernel." if vnni else
                "No VNNI: XNNPACK runs the dynamic int8 FCs with its QD8 kernel, slower than fp32 here for any "
                "model (a plain 256 x 768 -> 3072 Linear: 1.13x), so int8 buys size and memory on this CPU, not "
                "speed. The v2 table above (measured on another day, its CPU not recorded) has int8 at 0.4-0.7x of "
                "fp32, as where XNNPACK has its QDU8 (VNNI) kernel: compare the DeBERTa and v2 rows by size and "
                "parity, not by int8 speed."), ""]
        L += [f"Position scores: {deberta.get('position_scores', '–')}.", "",
              "### Where the text graph runs (per-op profile, S = 256)", "",
              "| member | precision | ops in XNNPACK | builtin ops | builtin by type (count, ms per run) | wall ms |",
              "|---|---|---|---|---|---|"]
        for m in deberta["members"]:
            for prec, by_s in sorted(m.get("delegation", {}).items()):
                for seq, d in sorted(by_s.items()):
                    kinds = ", ".join(f"{k} {v['count']} ({v['ms']:.1f})" for k, v in sorted(d["builtin"].items()))
                    L.append(f"| {m['member']} | {prec} S={seq} | {d['xnnpack_ops']} | {d['builtin_ops']} | {kinds} | "
                             f"{d['wall_ms_median']:.1f} |")
        L.append("")
    return "\n".join(L)


def _demote(md: str) -> str:
    """A member page's sections one level down, under its own heading."""
    return "\n".join("#" + line if line.startswith("## ") and not line.startswith("## The") and
                     not line.startswith("## DeBERTa") else line for line in md.splitlines()) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m scripts.family", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="one member: build (if missing), convert, validate, measure -> WORK/family.json")
    r.add_argument("member", choices=MEMBERS + DEBERTA_MEMBERS)
    r.add_argument("--work", type=Path, required=True)
    r.add_argument("--seq-lens", nargs="+", type=int, default=list(SEQ_LENS))
    r.add_argument("--threads", type=int, default=2)
    r.add_argument("--runs", type=int, default=10)
    r.add_argument("--suite-limit", type=int, default=20)
    r.add_argument("--gliner-hidden", type=int)
    r.add_argument("--force", action="store_true", help="reconvert even if the artifacts are up to date")
    m = sub.add_parser("measure", help="(child) runtime latency and RSS of one precision")
    m.add_argument("artifacts", type=Path)
    m.add_argument("precision", choices=PRECISIONS)
    m.add_argument("--threads", type=int, default=2)
    m.add_argument("--runs", type=int, default=10)
    m.add_argument("--seq-lens", nargs="+", type=int, default=list(SEQ_LENS))
    m.add_argument("--out", type=Path, required=True)
    c = sub.add_parser("compare", help="interleaved latency of several members' folders in one process -> JSON")
    c.add_argument("members", nargs="+", metavar="NAME=ARTIFACTS")
    c.add_argument("--precisions", nargs="+", default=list(PRECISIONS), choices=PRECISIONS)
    c.add_argument("--seq-lens", nargs="+", type=int, default=list(SEQ_LENS))
    c.add_argument("--threads", type=int, default=2)
    c.add_argument("--rounds", type=int, default=20)
    c.add_argument("--out", type=Path, required=True)
    f = sub.add_parser("refresh", help="re-read members' manifests into their family.json (files, per-file peaks)")
    f.add_argument("results", nargs="+", type=Path)
    d = sub.add_parser("render", help="members' family.json -> one JSON + Markdown")
    d.add_argument("results", nargs="*", type=Path)
    d.add_argument("--compare", type=Path, help="a `compare` JSON: its interleaved latencies fill the latency table")
    d.add_argument("--json", type=Path, default=ROOT / "docs" / "family.json")
    d.add_argument("--doc", type=Path, default=ROOT / "docs" / "FAMILY.md")
    d.add_argument("--deberta", type=Path, default=ROOT / "docs" / "family-deberta.json",
                   help="the DeBERTa members' JSON (scripts/family_deberta.py), drawn after the v2 family")
    d.add_argument("--checkpoints", type=Path, default=ROOT / "docs" / "family-checkpoints.json",
                   help="the public checkpoints (hand-curated from their cards, with sources)")
    d.add_argument("--keep-members", action="store_true",
                   help="redraw the Markdown from the committed JSON without re-merging members' results")
    a = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if a.cmd == "run":
        return run_member(a)
    if a.cmd == "measure":
        return measure(a)
    if a.cmd == "compare":
        return compare(a)
    if a.cmd == "refresh":
        return refresh(a)
    from common.files import atomic_write_bytes

    if a.keep_members:
        data = json.loads(a.json.read_text())
    else:
        members = [json.loads(p.read_text()) for p in a.results]
        data = {"members": sorted(members, key=lambda x: (MEMBERS + DEBERTA_MEMBERS).index(x["member"]))}
        if a.compare:
            data["compare"] = json.loads(a.compare.read_text())
        atomic_write_bytes(a.json, (json.dumps(data, indent=1) + "\n").encode())
    deberta = json.loads(a.deberta.read_text()) if a.deberta.is_file() else None
    checkpoints = json.loads(a.checkpoints.read_text()) if a.checkpoints.is_file() else None
    atomic_write_bytes(a.doc, render_doc(data, deberta, checkpoints).encode())
    print(f"wrote {a.json} and {a.doc}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
