"""Benchmarks an artifacts folder: LiteRT latency, memory, size vs PyTorch and ONNX Runtime -> bench.json -> Markdown.

    python -m scripts.bench --model DIR --artifacts DIR [--runs 10 --threads 1 2 ...]
    python -m scripts.bench --render-only build/x/bench.json --doc docs/BENCHMARKS.md

bench.json is the truth; the Markdown is drawn from it alone. Nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DOC = ROOT / "docs" / "BENCHMARKS.md"
E2E_WORDS = (10, 40, 150, 600, 2000)


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m scripts.bench", description=__doc__.splitlines()[0])
    io_ = ap.add_argument_group("inputs and outputs")
    io_.add_argument("--model", help="upstream GLiNER folder (or hub id in the local cache)")
    io_.add_argument("--artifacts", help="folder written by `python -m convert` (read through its manifest.json)")
    io_.add_argument("--out", type=Path, help="bench.json path (default: ARTIFACTS/bench.json)")
    io_.add_argument(
        "--doc", type=Path, default=DEFAULT_DOC, help="Markdown to render from bench.json (default: %(default)s)"
    )
    io_.add_argument("--no-doc", action="store_true", help="write bench.json only")
    io_.add_argument(
        "--render-only", type=Path, metavar="BENCH_JSON", help="re-render --doc from a bench.json; measure nothing"
    )
    m = ap.add_argument_group("what to measure")
    m.add_argument("--runs", type=int, default=10, help="timed runs per measurement (default: %(default)s)")
    m.add_argument("--warmup", type=int, default=1, help="untimed runs before each measurement (default: %(default)s)")
    m.add_argument(
        "--threads", type=int, nargs="+", default=[1, 2], help="thread counts, for every runtime (default: 1 2)"
    )
    m.add_argument("--precisions", nargs="+", help="precisions to measure (default: all in the manifest)")
    m.add_argument(
        "--num-labels",
        type=int,
        default=16,
        choices=range(1, 26),
        metavar="[1-25]",
        help="entity types (default: %(default)s)",
    )
    m.add_argument(
        "--fill", type=float, default=0.9, help="fraction of each bucket's tokens the text fills (default: %(default)s)"
    )
    m.add_argument("--max-seq-len", type=int, help="skip text buckets (and end-to-end texts) above this S")
    m.add_argument("--quick", action="store_true", help="smallest text bucket only (and the labels encoder)")
    m.add_argument("--skip-torch", action="store_true", help="no PyTorch comparisons")
    m.add_argument("--skip-onnx", action="store_true", help="no ONNX Runtime comparisons")
    m.add_argument(
        "--compare-max-seq-len",
        type=int,
        default=2048,
        help="PyTorch/ORT comparisons only up to this S; their memory grows with S^2 (default: %(default)s)",
    )
    m.add_argument(
        "--e2e-words",
        type=int,
        nargs="*",
        default=list(E2E_WORDS),
        help="end-to-end text sizes in words; none to skip (default: 10 40 150 600 2000)",
    )
    m.add_argument(
        "--e2e-runs",
        type=int,
        default=5,
        help="timed runs per end-to-end measurement, each of predict_entities and its timed stages "
        "(default: %(default)s)",
    )
    args = ap.parse_args(argv)
    if not args.render_only and not (args.model and args.artifacts):
        ap.error("--model and --artifacts are required (or --render-only BENCH_JSON)")
    if args.runs < 1 or args.warmup < 0 or any(t < 1 for t in args.threads):
        ap.error("--runs >= 1, --warmup >= 0 and --threads >= 1")
    return args


def write(path: Path, text: str) -> None:
    from common.files import atomic_write_bytes
    from scripts.bench.timing import log

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, text.encode())
    log(f"wrote {path}")


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    from scripts.bench.render import render_markdown
    from scripts.bench.schema import SCHEMA_VERSION

    doc = None if args.no_doc else args.doc
    if args.render_only:
        bench = json.loads(args.render_only.read_text())
        if bench.get("schema_version") != SCHEMA_VERSION:
            raise SystemExit(f"{args.render_only}: schema {bench.get('schema_version')!r}, expected {SCHEMA_VERSION}")
        if doc is None:
            raise SystemExit("--render-only with --no-doc renders nothing")
        write(doc, render_markdown(bench))
        return 0
    from scripts.bench.run import run_bench
    from upstream.source import hub_offline

    # Fork-safety of the tokenizers' thread pool: the bench starts child processes (peak RSS).
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    args.offline = hub_offline()
    from common.files import shown_argv

    bench = run_bench(args, command=" ".join(["python -m scripts.bench", *shown_argv(argv)]))
    write(args.out or Path(args.artifacts) / "bench.json", json.dumps(bench, indent=2) + "\n")
    if doc is not None:
        write(doc, render_markdown(bench))
    return 0


if __name__ == "__main__":
    sys.exit(main())
