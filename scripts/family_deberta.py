"""The DeBERTa-v3 members (gliner-bi-*-v1.0 shapes, random weights) measured -> docs/family-deberta.json.

    flock /work/build/.fullsize.lock python -m scripts.family run deberta-small --work /work/build/family-deberta-small \
        --seq-lens 256 512
    flock /work/build/.fullsize.lock python scripts/profile_ops.py --model WORK/litert/gliner_bi_int8.tflite \
        --signature text_encoder_seq256 --threads 2 --runs 5 --json WORK/profile-int8-256.json   # per precision, S
    python -m scripts.family_deberta /work/build/family-deberta-small [...] --json docs/family-deberta.json

Per member: the `scripts.family run` record (sizes, conversion time and peak RSS, validation at the smallest S,
runtime latency and RSS) plus, from each WORK/profile-<precision>-<S>.json, how the text graph's ops split
between XNNPACK and LiteRT's builtin kernels. Nothing is judged here; the lead draws docs/FAMILY.md from it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def delegation(profile: dict) -> dict:
    """Ops XNNPACK ran vs builtin kernels (counts per run), and the builtin ones by type with their time."""
    xnn = sum(k["count"] for k in profile["kernels"] if k["kernel"].startswith("xnnpack: "))
    builtin = [k for k in profile["kernels"] if k["kernel"].startswith("builtin: ")]
    return {
        "wall_ms_median": round(profile["wall_ms"]["median"], 2), "threads": profile["threads"],
        "runs": profile["runs"], "xnnpack_ops": int(xnn), "builtin_ops": int(sum(k["count"] for k in builtin)),
        "builtin": {k["op_type"]: {"count": int(k["count"]), "ms": round(k["ms"], 3)} for k in builtin},
    }


def _shown(x):
    """Child log paths as documents show paths, and failed children by their error lines (no machine folder in a
    committed file)."""
    from common.files import shown_path

    from scripts.family import _error_lines

    if isinstance(x, dict):
        # A failed child's log tail names the venv's files; its `error:` lines are what a reader needs.
        return {k: shown_path(v) if k == "log" and isinstance(v, str) else
                _error_lines(v) if k == "tail" and isinstance(v, str) else _shown(v) for k, v in x.items()}
    return [_shown(v) for v in x] if isinstance(x, list) else x


def member(work: Path) -> dict:
    out = _shown(json.loads((work / "family.json").read_text()))
    out["delegation"] = {}
    for path in sorted(work.glob("profile-*-*.json")):
        _, precision, seq_len = path.stem.split("-")
        out["delegation"].setdefault(precision, {})[seq_len] = delegation(json.loads(path.read_text()))
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("works", nargs="+", type=Path, help="scripts.family run --work folders")
    p.add_argument("--json", type=Path, default=ROOT / "docs" / "family-deberta.json")
    a = p.parse_args(argv)
    from common.files import atomic_write_bytes
    from common.machine import describe_machine

    data = {
        "what": "DeBERTa-v3 text encoders (gliner-bi-*-v1.0 shapes) with random weights: scripts/build_fixtures.py "
                "deberta-*-random, converted by python -m convert, validated at the smallest S, timed by the "
                "runtime on a shared 2-core machine (compare ratios, not absolute times)",
        "position_scores": "per-distance tables (2S - 1 rows, one EMBEDDING_LOOKUP per kind per graph) + "
                           "reshape/slice relative shift (wrappers/deberta.py); no torch.gather, no S x S index",
        # int8 speed depends on the CPU's int8 dot products: without VNNI XNNPACK runs dynamic int8 FCs with its
        # QD8 kernel, measured 1.1-1.2x slower than fp32 on a plain Linear here (with AVX-512 VNNI it has QDU8).
        "machine": describe_machine(),
        "members": [member(w) for w in a.works],
    }
    atomic_write_bytes(a.json, (json.dumps(data, indent=1) + "\n").encode())
    print(f"wrote {a.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
