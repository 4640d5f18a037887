"""How report.json's "gpu" key (validate.gpu) is drawn in report.md and the model card: no torch, no LiteRT."""

from __future__ import annotations

from validate.rows import labels_side_stats


def _fmt(x, spec=".2e") -> str:
    return "-" if x is None else format(x, spec)


def row_cells(r: dict, thresholds) -> list[str]:
    """max abs diff, relative error, label min cosine, flips and entity F1 per threshold (the app's path)."""
    lab = labels_side_stats(r)
    if lab is not None:
        return [_fmt(lab.get("max_abs")), _fmt(lab.get("relative_error")), _fmt(lab.get("min_cosine"), ".6f")] + \
            ["-"] * (2 * len(thresholds))
    st = r.get("stats", {})
    p = st.get("tflite_labels") or st.get("upstream_labels") or {}
    nonfinite = p.get("nonfinite")
    cells = [_fmt(p.get("max_abs_diff")) + (f" ({nonfinite} NaN/Inf)" if nonfinite else ""),
             _fmt(p.get("relative_error")), "-"]
    cells += [str(p.get("flips", {}).get(str(t), "-")) for t in thresholds]
    cells += [_fmt(p.get("entities", {}).get(str(t), {}).get("f1"), ".4f") for t in thresholds]
    return cells


def _signature(variant: str) -> str:
    return variant.split("/", 1)[-1]


def _runs(gpu: dict) -> list[dict]:
    return [*gpu.get("runs", []), *(gpu.get("int8") or [])]


def refused_lines(run: dict) -> list[str]:
    """One line per signature the GPU did not take whole: its ops on the GPU and each refused op with the reason."""
    part = run.get("partitions", {})
    if part.get("error"):
        return [f"- partitions not known: {part['error']}"]
    out = []
    for sig, p in part.get("signatures", {}).items():
        if not p["refused"] and not p["cpu_ops"]:
            continue
        ops = "; ".join(f"{x['op']} ({x['reason'].rstrip('.')}) x{x['count']}" for x in p["refused"])
        out.append(f"- `{sig}`: {p['gpu_ops']} of {p['ops']} ops on the GPU; refused: {ops}")
    return out


def whole(run: dict) -> list[str]:
    """Signatures the GPU took whole."""
    return [s for s, p in run.get("partitions", {}).get("signatures", {}).items() if not p["cpu_ops"]]


def render_markdown(gpu: dict, thresholds) -> list[str]:
    th = [str(t) for t in thresholds]
    v = gpu.get("versions", {})
    out = ["## GPU", "",
           f"LiteRT's GPU accelerator (ML Drift over WebGPU/Dawn) on `{gpu.get('adapter', {}).get('name', '?')}`, "
           f"ai-edge-litert {v.get('ai-edge-litert')}, mesa {v.get('mesa')}; the CPU runs the ops the GPU refuses. "
           "`fp32`: GpuOptions(enforce_f32=True), judged as the CPU's rows; `fp16`: the accelerator's default, "
           "judged on entities and label direction. The fp32 bundle's verdict is the stage's; the int8 bundle's "
           "outcome is reported. "
           + ("**passed**." if gpu.get("passed") else "**FAILED**."), ""]
    if gpu.get("error"):
        out += [f"**{gpu['error']}**", ""]
    out += ["| file | setting | graph | verdict | GPU ops | max abs diff | rel. error | label min cos | "
            + " | ".join(f"flips @{t}" for t in th) + " | " + " | ".join(f"entity F1 @{t}" for t in th) + " |",
            "|" + "---|" * (8 + 2 * len(th))]
    for run in _runs(gpu):
        sigs = run.get("partitions", {}).get("signatures", {})
        if not run.get("rows"):
            out.append(f"| {run['file']} | {run['setting']} | - | **did not run**: {run.get('open_error')} | - | "
                       + " | ".join("-" for _ in range(3 + 2 * len(th))) + " |")
        for r in run.get("rows", []):
            p = sigs.get(_signature(r["variant"]))
            ops = f"{p['gpu_ops']}/{p['ops']}" if p else "-"
            mark = "pass" if r["passed"] else "**FAIL**"
            out.append(f"| {run['file']} | {run['setting']} | {_signature(r['variant'])} | {mark} | {ops} | "
                       + " | ".join(row_cells(r, th)) + " |")
    out.append("")
    for run in _runs(gpu):
        lines = refused_lines(run)
        if lines:
            out += [f"Ops the GPU refused in {run['file']} ({run['setting']}); they ran on the CPU:", "", *lines, ""]
            break  # the partition depends on the graph, not the setting: one listing per run would repeat it
    failing = [(run, r) for run in _runs(gpu) for r in run.get("rows", []) if not r["passed"]]
    if failing:
        out += ["GPU failures:", ""]
        for run, r in failing:
            out.append(f"- `{r['variant']}` ({run['setting']}): {'; '.join(r['failures'])}")
        out += ["", f"reproduce: `{gpu.get('reproduce')}`", ""]
    return out


def card_lines(gpu: dict) -> list[str]:
    """The model card's GPU paragraph: what passed in which precision, and every op the GPU would not take."""
    v = gpu.get("versions", {})
    out = ["", "### On a GPU", "",
           f"Run through LiteRT's GPU accelerator on a software adapter (`{gpu.get('adapter', {}).get('name', '?')}`,"
           f" mesa {v.get('mesa')}, ai-edge-litert {v.get('ai-edge-litert')}) by `python -m validate --gpu`:", ""]
    for run in _runs(gpu):
        rows = run.get("rows", [])
        ok = sum(r["passed"] for r in rows)
        what = ("float32 forced (enforce_f32)" if run["enforce_f32"] else "fp16 intermediates (the default)")
        if not rows:
            out.append(f"- `{run['file']}`, {what}: did not run ({run.get('open_error')}).")
            continue
        bad = [_signature(r["variant"]) for r in rows if not r["passed"]]
        out.append(f"- `{run['file']}`, {what}: {ok} of {len(rows)} graphs pass"
                   + (f"; failing: {', '.join(f'`{b}`' for b in bad)}" if bad else "") + ".")
    taken = next((run for run in _runs(gpu) if run.get("partitions", {}).get("signatures")), None)
    if taken is not None:
        lines = refused_lines(taken)
        w = whole(taken)
        out += ["", "Ops the GPU would not take, per signature (they run on the CPU; "
                + (f"{', '.join(f'`{s}`' for s in w)} run wholly on the GPU" if w else "no signature runs wholly on the GPU")
                + "):", "", *(lines or ["- none"])]
    return out
