"""Renders docs/CONVERSION.md from a full conversion's manifest.json, beside the seed artifact's published sizes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import manifest as mf  # noqa: E402
from common.machine import cpu_info  # noqa: E402

# ckg/gliner-bi-base-v20-litert's published sizes, MB (issue 3).
SEED_MB = {
    "labels_encoder_fp32": 133.4,
    **{f"text_encoder_seq{s}_fp32": mb for s, mb in zip((256, 512, 1024, 2048, 4096, 8192), (656.6, 677.2, 718.4, 800.7, 965.3, 1043.0))},
    **{f"text_encoder_seq{s}_int8": mb for s, mb in zip((256, 512, 1024, 2048, 4096, 8192), (182.6, 203.1, 244.3, 326.6, 491.3, 568.9))},
}


def _stem(art) -> str:
    return Path(art.file).stem


def _num(x, fmt: str) -> str:
    return "–" if x is None else format(x, fmt)


def render(man, command: str, machine: str) -> str:
    """The Markdown of one typed manifest (common.manifest.Manifest), one row per .tflite file."""
    arts = sorted(man.artifacts.values(), key=lambda a: min(g.variant.sort_key for g in a.graphs))
    lines = [
        "# Conversion of the full-size architecture",
        "",
        "Model: `base-random`, the architecture of knowledgator/gliner-bi-base-v2.0 (ettin-encoder-150m text encoder, "
        "bge-small-en-v1.5 labels encoder, hidden 512) with random weights: sizes, times and memory equal the real "
        "checkpoint's, numerics do not (see the validation reports for those).",
        "",
        f"Command: `{command}`  ",
        f"Machine: {machine}  ",
        "Tools: " + ", ".join(f"{k} {v}" for k, v in sorted(man.tools.items())),
        "",
        "| artifact | size (MB) | seed (MB) | vs seed | max valid tokens | convert (s) | peak RSS (GB) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    total_s = 0.0
    for a in arts:
        mb = a.bytes / 1e6
        seed = SEED_MB.get(_stem(a))
        vs = f"{(mb / seed - 1) * 100:+.1f}%" if seed else "–"
        total_s += a.convert_seconds or 0.0
        tokens = " / ".join(str(g.max_valid_tokens) for g in a.graphs)
        rss = None if a.peak_rss_bytes is None else a.peak_rss_bytes / 1e9
        lines.append(
            f"| {a.file} | {mb:.1f} | {seed if seed else '–'} | {vs} | {tokens} | "
            f"{_num(a.convert_seconds, '.1f')} | {_num(rss, '.2f')} |"
        )
    total_mb = sum(a.bytes for a in arts) / 1e6
    matched = [a for a in arts if _stem(a) in SEED_MB]
    ours = sum(a.bytes for a in matched) / 1e6
    seed_total = sum(SEED_MB[_stem(a)] for a in matched)
    rss = [a.peak_rss_bytes for a in arts if a.peak_rss_bytes is not None]
    lines += [
        f"| **the {len(matched)} files the seed publishes** | {ours:.1f} | {seed_total:.1f} | "
        f"{(ours / seed_total - 1) * 100:+.1f}% | | | |",
        f"| **all {len(arts)} files** | {total_mb:.1f} | | | | {total_s:.0f} | max "
        f"{_num(max(rss) / 1e9 if rss else None, '.2f')} |",
        "",
        "Notes:",
        "- A text encoder's size does not depend on S: masks and rotary tables are computed in the graph from runtime "
        "positions, so nothing S x S or S x head_dim is stored (the seed's files grow by 386 MB from S=256 to 8192).",
        "- Quantized files are derived from the fp32 graph with ai-edge-quantizer (seconds each); their conversion time "
        "is the quantization alone.",
        "- `max valid tokens` is S capped by the text encoder's trained positions (max_position_embeddings): the runtime "
        "never feeds more.",
        "- Peak RSS is the conversion process's high-water mark while that artifact was produced (reset per artifact).",
        "",
    ]
    return "\n".join(lines + _bundles(man))


def _bundles(man) -> list[str]:
    """Each bundle against the per-bucket files it replaces: the issue-12 size goal is <= 1.1x of one text file
    plus the labels file of the same precision."""
    from common.variants import Component, Layout

    bundles = [a for a in man.artifacts.values() if a.layout is Layout.BUNDLE]
    if not bundles:
        return []
    out = [
        "## Bundles: every graph of a precision in one file, weights stored once",
        "",
        "| bundle | MB | graphs (text buckets) | one text file + labels file (MB) | ratio | the seed-named files of "
        "the same precision (MB) |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for b in sorted(bundles, key=lambda a: a.graphs[0].variant.sort_key):
        files = [a for a in man.artifacts.values() if a.layout is Layout.FILES and a.precision is b.precision]
        texts = [a for a in files if a.graphs[0].variant.component is Component.TEXT]
        labels = [a for a in files if a.graphs[0].variant.component is Component.LABELS]
        one = (texts[0].bytes + labels[0].bytes) / 1e6 if texts and labels else None
        buckets = " ".join(str(s) for s in sorted({g.variant.seq_len for g in b.graphs if g.variant.seq_len}))
        kinds = sorted({g.variant.signature.rstrip("0123456789") for g in b.graphs})
        out.append(
            f"| {b.file} | {b.bytes / 1e6:.1f} | {len(b.graphs)}: {', '.join(kinds)} (buckets {buckets}) | {_num(one, '.1f')} | "
            f"{_num(b.bytes / 1e6 / one if one else None, '.3f')} | {sum(a.bytes for a in files) / 1e6:.1f} ({len(files)} files) |"
        )
    out += [
        "",
        "Each graph is a signature of its bundle, named by what it computes (`labels_encoder`, `text_encoder_seq{S}`), "
        "with the seed contract's input and output names, shapes and dtypes. Parameters are stored once: what a "
        "text signature adds is its own operator and tensor tables and, in int8, its own copy of the per-channel "
        "scales and zero points of the weights it reads (TFLite keeps quantization parameters per tensor, and "
        "tensors per subgraph). Beside the seed's two graphs a bundle holds, by default, the graphs that score any "
        "number of labels in one text pass (`labels_encoder_bulk`, `label_prompts`, `text_spans_seq{S}`); "
        "`python -m convert ... --components labels text` leaves them out.",
        "",
    ]
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--artifacts", type=Path, required=True)
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "CONVERSION.md")
    p.add_argument("--command", default="python -m convert --model build/base-random --out build/base-random-litert")
    a = p.parse_args(argv)
    man = mf.read(a.artifacts)
    if man is None:
        raise SystemExit(f"{a.artifacts / mf.MANIFEST} is missing: --artifacts must be a folder written by `python -m convert`")
    plat = man.platform
    machine = f"{cpu_info()[0]}, {plat.get('cpus', '?')} cores, {plat.get('system', '')} {plat.get('machine', '')}"
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(render(man, a.command, machine))
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
