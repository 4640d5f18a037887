"""Fills docs/VALIDATION.md's tables from validation report.json files (the reports stay the source of truth)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from validate.rows import labels_side_stats, row_name  # noqa: E402


def rows(reports: list[Path]) -> tuple[list[str], float, float]:
    out = [
        "| artifact | inputs | max abs diff | rel. error | NaN | flips @0.3 | flips @0.5 | entity F1 @0.3 | entity F1 @0.5 | verdict |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    fp32_max, ref_max = 0.0, 0.0
    for path in reports:
        rep = json.loads(path.read_text())
        for r in rep["results"]:
            st = r["stats"]
            verdict = "pass" if r["passed"] else "**FAIL**"
            name = row_name(r)
            ls = labels_side_stats(r)
            if ls is not None:
                out.append(f"| {name} | {ls['labels']} labels | {ls['max_abs']:.2e} | {ls['relative_error']:.2e} | "
                           f"{ls['nonfinite']} | min cosine {ls['min_cosine']:.6f} | | | | {verdict} |")
                continue
            u, a = st["upstream_labels"], st.get("tflite_labels", {})
            if r["precision"] == "fp32":
                fp32_max = max(fp32_max, u["max_abs_diff"])
                ref_max = max(ref_max, u["max_abs_reference"])
            n = u["decision_points"]
            f1 = [a.get("entities", {}).get(t, {}).get("f1") for t in ("0.3", "0.5")]
            out.append(
                f"| {name} | {u['items']} | {u['max_abs_diff']:.2e} | {u['relative_error']:.2e} | {u['nonfinite']} | "
                f"{u['flips']['0.3']} / {n} | {u['flips']['0.5']} / {n} | "
                + " | ".join("–" if x is None else f"{x:.4f}" for x in f1) + f" | {verdict} |"
            )
    return out, fp32_max, ref_max


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--template", type=Path, default=ROOT / "docs" / "VALIDATION.template.md")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "VALIDATION.md")
    p.add_argument("--tiny", type=Path, nargs="+", required=True, help="report.json of tiny-trained")
    p.add_argument("--base", type=Path, nargs="+", required=True, help="report.json files of base-random")
    a = p.parse_args(argv)
    tiny, _, _ = rows(a.tiny)
    base, fp32_max, ref_max = rows(a.base)
    text = a.template.read_text()
    text = text.replace("TINY_TABLE", "\n".join(tiny)).replace("BASE_TABLE", "\n".join(base))
    text = text.replace("BASE_FP32_MAX", f"{fp32_max:.2e}").replace("BASE_REF_MAX", f"{ref_max:.2g}")
    a.out.write_text(text)
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
