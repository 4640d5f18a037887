"""report.json (the source of truth) and what is drawn from it: report.md and PNG plots."""

from __future__ import annotations

import json
import platform
import shlex
from dataclasses import asdict
from pathlib import Path

from common.files import atomic_write_bytes, shown_path
from common.manifest import Manifest
from common.variants import Layout, Variant
from validate.harness import Result, app_variants
from validate.rows import labels_side_stats, row_name
from validate.suite import SUITE_VERSION

SCHEMA_VERSION = 1


def reproduce_command(run_args: list[str], variant: Variant, manifest: Manifest, report_dir: Path,
                      layout: Layout = Layout.FILES) -> str:
    """The command that re-runs one failing row as the original run judged it.

    `run_args` is the original command with every option that shapes the verdict (thresholds, threads, suite
    limit, random weights), without --only and --report. A text row also runs the labels encoder of its
    precision (the app path). The report goes to its own folder beside the full one, which it must not
    overwrite.
    """
    row = variant.id_in(layout)
    only = [row] + [a.id_in(layout) for a in app_variants(variant) if manifest.find(a, layout) is not None]
    return shlex.join([*run_args, "--report", str(Path(report_dir) / "reproduce" / row), "--only", *only])


def build(results: list[Result], meta: dict, *, model: str, artifacts: Path, manifest: Manifest, thresholds,
          judge_entities: bool, run_args: list[str], report_dir: Path, tools: dict, gpu: dict | None = None) -> dict:
    rows = []
    for r in results:
        tol = r.variant.precision.tolerance
        rows.append({
            "variant": r.row, "layout": r.layout.value, "component": r.variant.component.value,
            "precision": r.variant.precision.suffix,
            "seq_len": r.variant.seq_len, "file": r.file, "bytes": r.bytes, "status": r.stage.value,
            "passed": r.passed, "failures": r.failures, "judged": r.judged, "tolerance": asdict(tol),
            "stats": r.stats, "timing_ms": r.timing_ms,
            "reproduce": None if r.passed else reproduce_command(run_args, r.variant, manifest, report_dir, r.layout),
        })
    return {
        "schema_version": SCHEMA_VERSION,
        "suite_version": SUITE_VERSION,
        "thresholds": list(thresholds),
        "judge_int8_entities": judge_entities,
        "model": shown_path(model),
        "artifacts": shown_path(artifacts),
        "source": manifest.source,
        "environment": {"tools": tools, "machine": platform.machine(), "python": platform.python_version()},
        "meta": meta,
        "results": rows,
        "summary": {"passed": sum(r["passed"] for r in rows), "failed": sum(not r["passed"] for r in rows)},
        **({"gpu": gpu} if gpu is not None else {}),  # validate.gpu's stage (python -m validate --gpu)
    }


def _fmt(x, spec=".2e"):
    return "–" if x is None else format(x, spec)


def render_markdown(report: dict) -> str:
    th = [str(t) for t in report["thresholds"]]
    out = [
        "# Validation report",
        "",
        f"Model `{report['model']}`, artifacts `{report['artifacts']}`, suite {report['suite_version']} "
        f"({report['meta']['suite_cases']} inputs"
        + (f", first {report['meta']['suite_limit']} suite texts" if report["meta"].get("suite_limit") is not None else "")
        + f"), thresholds {', '.join(th)}. "
        f"{report['summary']['passed']} passed, {report['summary']['failed']} failed.",
        "",
        "Text graphs: diffs over valid spans against upstream span logits (gliner's own forward), fed upstream label "
        "embeddings (isolates the text graph); flips and entity F1 are given for that path and, after the slash, "
        "for the labels-encoder .tflite of the same precision (what an app does).",
        "",
        "| artifact | MB | status | inputs | max abs diff | mean abs diff | rel. error | NaN/Inf | "
        + " | ".join(f"flips @{t}" for t in th) + " | " + " | ".join(f"entity F1 @{t}" for t in th)
        + " | median ms |",
        "|" + "---|" * (8 + 2 * len(th) + 1),
    ]
    for r in report["results"]:
        st = r["stats"]
        mark = "pass" if r["passed"] else "**FAIL**"
        ms = _fmt(r["timing_ms"].get("median"), ".1f")
        name = row_name(r)
        ls = labels_side_stats(r)
        if ls is not None:
            out.append(
                f"| {name} | {r['bytes'] / 1e6:.1f} | {mark} | {ls.get('labels', 0)} labels | {_fmt(ls.get('max_abs'))} | "
                f"min cos {_fmt(ls.get('min_cosine'), '.7f')} | {_fmt(ls.get('relative_error'))} | {ls.get('nonfinite', '–')} | "
                + " | ".join("–" for _ in th) + " | " + " | ".join("–" for _ in th) + f" | {ms} |"
            )
            continue
        u = st.get("upstream_labels", {})
        a = st.get("tflite_labels", {})
        flips = [
            f"{u.get('flips', {}).get(t, '–')} / {a.get('flips', {}).get(t, '–')} of {u.get('decision_points', 0)}" for t in th
        ]
        f1 = [
            f"{_fmt(u.get('entities', {}).get(t, {}).get('f1'), '.4f')} / {_fmt(a.get('entities', {}).get(t, {}).get('f1'), '.4f')}"
            for t in th
        ]
        out.append(
            f"| {name} | {r['bytes'] / 1e6:.1f} | {mark} | {u.get('items', 0)} | {_fmt(u.get('max_abs_diff'))} | "
            f"{_fmt(u.get('mean_abs_diff'))} | {_fmt(u.get('relative_error'))} | {u.get('nonfinite', '–')} | "
            + " | ".join(flips) + " | " + " | ".join(f1) + f" | {ms} |"
        )
    out += ["", "Flips are `upstream-label-embeddings / tflite-label-embeddings of decision points`; entity F1 "
            "`upstream-label-embeddings / tflite-label-embeddings`.", ""]
    if report.get("gpu"):
        from validate.gpu_report import render_markdown as gpu_markdown

        out += gpu_markdown(report["gpu"], report["thresholds"])
    failing = [r for r in report["results"] if not r["passed"]]
    if failing:
        out += ["## Failures", ""]
        for r in failing:
            out.append(f"- `{r['variant']}` ({r['status']}):")
            out += [f"  - {f}" for f in r["failures"]]
            out.append(f"  - reproduce: `{r['reproduce']}`")
        out.append("")
    out += ["## Tolerances", ""]
    seen = set()
    for r in report["results"]:
        key = (r["component"], r["precision"])
        if key in seen:
            continue
        seen.add(key)
        out.append(f"- **{r['component']} {r['precision']}**: {'; '.join(r['judged']) or 'nothing judged'}. "
                   f"Why: {r['tolerance']['why']}.")
    out.append("")
    if "arm64" in report:
        from validate.arm64 import render_markdown as arm64_markdown

        out += arm64_markdown(report["arm64"])
    return "\n".join(out)


def plot(report: dict, folder: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    texts = [r for r in report["results"] if r["component"] == "text" and "upstream_labels" in r["stats"]]
    if not texts:
        return written
    fig, ax = plt.subplots(figsize=(8, 4))
    for prec in dict.fromkeys(r["precision"] for r in texts):
        counts = None
        for r in texts:
            if r["precision"] != prec:
                continue
            h = r["stats"]["upstream_labels"]["abs_diff_log10_hist"]
            counts = h["counts"] if counts is None else [a + b for a, b in zip(counts, h["counts"])]
        edges = h["edges"]
        labels = [f"<1e{edges[i + 1]}" if edges[i] == "-inf" else f"1e{edges[i]}" for i in range(len(counts))]
        total = max(sum(counts), 1)
        ax.plot(range(len(counts)), [c / total for c in counts], marker="o", label=prec)
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=60, fontsize=7)
    ax.set_xlabel("|tflite - upstream| logit, log10 bin (lower edge)")
    ax.set_ylabel("fraction of valid-span logits")
    ax.set_title("Distribution of abs diffs per precision (all text buckets)")
    ax.legend()
    fig.tight_layout()
    p = folder / "abs_diff_by_precision.png"
    fig.savefig(p, dpi=110)
    plt.close(fig)
    written.append(p)

    th = [str(t) for t in report["thresholds"]]
    fig, ax = plt.subplots(figsize=(max(6, len(texts) * 0.9), 4))
    width = 0.8 / len(th)
    for j, t in enumerate(th):
        vals = [r["stats"].get("tflite_labels", r["stats"]["upstream_labels"])["flips"].get(t, 0) for r in texts]
        ax.bar([i + j * width for i in range(len(texts))], vals, width, label=f"threshold {t}")
    ax.set_xticks([i + width * (len(th) - 1) / 2 for i in range(len(texts))])
    ax.set_xticklabels([r["variant"].replace("text_encoder_", "") for r in texts], rotation=30, fontsize=8)
    ax.set_ylabel("decision flips (tflite label embeddings)")
    ax.set_title("Decision flips per threshold per variant")
    ax.legend()
    fig.tight_layout()
    p = folder / "flips_by_variant.png"
    fig.savefig(p, dpi=110)
    plt.close(fig)
    written.append(p)
    return written


def write(report: dict, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(folder / "report.json", (json.dumps(report, indent=2) + "\n").encode())
    atomic_write_bytes(folder / "report.md", render_markdown(report).encode())
    return [folder / "report.json", folder / "report.md", *plot(report, folder)]
