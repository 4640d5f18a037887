"""CLI: python -m convert --model HUB_ID_OR_DIR --out DIR [--seq-lens ...] [--precisions ...]."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from common.variants import DEFAULT_PRECISIONS, SEQ_LENS, Component, Precision

DEFAULT_MODEL = "knowledgator/gliner-bi-base-v2.0"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m convert", description=__doc__)
    src = p.add_argument_group("source")
    src.add_argument("--model", default=DEFAULT_MODEL, help="hub id or local GLiNER folder (default: %(default)s)")
    what = p.add_argument_group("artifacts")
    what.add_argument("--out", type=Path, help="output folder (default: build/<model name>)")
    what.add_argument("--seq-lens", nargs="+", type=int, default=list(SEQ_LENS), metavar="S",
                      help=f"text-encoder buckets, from {' '.join(map(str, SEQ_LENS))} (default: all)")
    what.add_argument("--precisions", nargs="+", default=[p.suffix for p in DEFAULT_PRECISIONS],
                      metavar="P", help=f"from {' '.join(p.suffix for p in Precision)} (default: fp32 int8)")
    what.add_argument("--components", nargs="+", default=[c.value for c in Component],
                      choices=[c.value for c in Component])
    how = p.add_argument_group("behaviour")
    how.add_argument("--force", action="store_true", help="redo artifacts that are up to date")
    how.add_argument("--no-fuse-span-head", action="store_true",
                     help="export upstream's span head as is instead of the reordered (faster, same function) one")
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        # Validate the request before loading anything heavy.
        from common.variants import all_variants

        precisions = [Precision.parse(p) for p in args.precisions]
        variants = all_variants(args.seq_lens, precisions, [Component(c) for c in args.components])
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    out = args.out or Path("build") / Path(args.model.rstrip("/")).name
    from convert.run import Options, check_output_dir, convert_all
    from upstream.source import SourceError, hub_offline, load_model, resolve

    created = not out.exists()
    try:
        source = resolve(args.model, offline=hub_offline())
        check_output_dir(out, source.folder)
        model = load_model(source)
        convert_all(model, source, variants, out, Options(fuse_span_head=not args.no_fuse_span_head, force=args.force))
    except SourceError as e:
        if created and out.is_dir() and not any(out.iterdir()):
            out.rmdir()  # a refused request leaves no empty --out behind
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted: finished artifacts are kept and listed in manifest.json; run again to resume", file=sys.stderr)
        return 130
    print(f"artifacts in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
