"""Renders docs/CONVERSION.md from a full conversion's manifest.json, beside the seed artifact's published sizes."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common.variants import Variant  # noqa: E402

# ckg/gliner-bi-base-v20-litert's published sizes, MB (issue 3).
SEED_MB = {
    "labels_encoder_fp32": 133.4,
    **{f"text_encoder_seq{s}_fp32": mb for s, mb in zip((256, 512, 1024, 2048, 4096, 8192), (656.6, 677.2, 718.4, 800.7, 965.3, 1043.0))},
    **{f"text_encoder_seq{s}_int8": mb for s, mb in zip((256, 512, 1024, 2048, 4096, 8192), (182.6, 203.1, 244.3, 326.6, 491.3, 568.9))},
}


def render(man: dict, command: str, machine: str) -> str:
    arts = sorted(man["artifacts"].values(), key=lambda e: Variant.from_stem(e["file"][: -len(".tflite")]).sort_key)
    lines = [
        "# Conversion of the full-size architecture",
        "",
        "Model: `base-random`, the architecture of knowledgator/gliner-bi-base-v2.0 (ettin-encoder-150m text encoder, "
        "bge-small-en-v1.5 labels encoder, hidden 512) with random weights: sizes, times and memory equal the real "
        "checkpoint's, numerics do not (see the validation reports for those).",
        "",
        f"Command: `{command}`  ",
        f"Machine: {machine}  ",
        f"Tools: " + ", ".join(f"{k} {v}" for k, v in sorted(man["tools"].items())),
        "",
        "| artifact | size (MB) | seed (MB) | vs seed | max valid tokens | convert (s) | peak RSS (GB) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    total_s = 0.0
    for e in arts:
        stem = e["file"][: -len(".tflite")]
        mb = e["bytes"] / 1e6
        seed = SEED_MB.get(stem)
        vs = f"{(mb / seed - 1) * 100:+.1f}%" if seed else "–"
        total_s += e["convert_seconds"]
        lines.append(
            f"| {e['file']} | {mb:.1f} | {seed if seed else '–'} | {vs} | {e['max_valid_tokens']} | "
            f"{e['convert_seconds']:.1f} | {e['peak_rss_bytes'] / 1e9:.2f} |"
        )
    total_mb = sum(e["bytes"] for e in arts) / 1e6
    matched = [e for e in arts if e["file"][: -len(".tflite")] in SEED_MB]
    ours = sum(e["bytes"] for e in matched) / 1e6
    seed_total = sum(SEED_MB[e["file"][: -len(".tflite")]] for e in matched)
    lines += [
        f"| **the {len(matched)} files the seed publishes** | {ours:.1f} | {seed_total:.1f} | "
        f"{(ours / seed_total - 1) * 100:+.1f}% | | | |",
        f"| **all {len(arts)} files** | {total_mb:.1f} | | | | {total_s:.0f} | max "
        f"{max(e['peak_rss_bytes'] for e in arts) / 1e9:.2f} |",
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
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--artifacts", type=Path, required=True)
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "CONVERSION.md")
    p.add_argument("--command", default="python -m convert --model build/base-random --out build/base-random-litert")
    a = p.parse_args(argv)
    man = json.loads((a.artifacts / "manifest.json").read_text())
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines() if l.startswith("model name")), "?")
    plat = man.get("platform", {})
    machine = f"{cpu}, {plat.get('cpus', '?')} cores, {plat.get('system', '')} {plat.get('machine', '')}"
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(render(man, a.command, machine))
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
