"""CLI: python -m convert --model HUB_ID_OR_DIR --out DIR [--seq-lens ...] [--precisions ...]."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from common.variants import DEFAULT_PRECISIONS, SEED_SEQ_LENS, SEQ_LENS, WEB_SEQ_LENS, Component, Layout, Precision

DEFAULT_MODEL = "knowledgator/gliner-bi-base-v2.0"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m convert", description=__doc__)
    src = p.add_argument_group("source")
    src.add_argument("--model", default=DEFAULT_MODEL, help="hub id or local GLiNER folder (default: %(default)s)")
    what = p.add_argument_group("artifacts")
    what.add_argument("--out", type=Path, help="output folder (default: build/<model name>)")
    what.add_argument("--layout", nargs="+", default=[Layout.BUNDLE.value], choices=[x.value for x in Layout],
                      help="bundle: one .tflite per precision holding every graph as a signature, weights stored "
                      "once; files: the seed's per-bucket file names (signature serving_default) for apps built on "
                      "the seed; both may be given (default: bundle)")
    what.add_argument("--seq-lens", nargs="+", type=int, metavar="S",
                      help=f"text-encoder buckets, multiples of 64 up to 8192 (default: {' '.join(map(str, SEQ_LENS))} "
                      f"in a bundle; the seed's {' '.join(map(str, SEED_SEQ_LENS))} as files)")
    what.add_argument("--precisions", nargs="+", default=[p.suffix for p in DEFAULT_PRECISIONS],
                      metavar="P", help=f"from {' '.join(p.suffix for p in Precision)} (default: fp32 int8)")
    what.add_argument("--components", nargs="+", default=[c.value for c in Component],
                      choices=[c.value for c in Component])
    what.add_argument("--web", action="store_true",
                      help=f"a bundle a web page can hold (LiteRT.js, web/): buckets {' '.join(map(str, WEB_SEQ_LENS))} "
                      "unless --seq-lens is given, bundle layout only (docs/WEB.md)")
    how = p.add_argument_group("behaviour")
    how.add_argument("--force", action="store_true", help="redo artifacts that are up to date")
    how.add_argument("--no-fuse-span-head", action="store_true",
                     help="export upstream's span head as is instead of the reordered (faster, same function) one")
    return p


def _plans(args, precisions, components, fit=lambda seq_lens: seq_lens):
    """The files to write; `fit` trims each layout's ladder to the loaded model (convert.run.fit_seq_lens)."""
    from common.variants import all_variants

    from convert.plan import plan_files

    plans = []
    for layout in dict.fromkeys(Layout(x) for x in args.layout):
        default = WEB_SEQ_LENS if args.web else SEQ_LENS if layout is Layout.BUNDLE else SEED_SEQ_LENS
        plans += plan_files(all_variants(fit(list(args.seq_lens or default)), precisions, components), layout)
    return plans


def _served(args, components, span_mode):
    """The requested components a model of `span_mode` has: a token-level model has the labels encoders and the
    token graph, a span model every other one; a graph asked for by name that the model lacks is refused."""
    from common.variants import TOKEN_LEVEL

    explicit = args.components != parser().get_default("components")
    missing = [c.value for c in components if not c.serves(span_mode)]
    if explicit and missing:
        raise ValueError(f"--components {' '.join(missing)}: a {span_mode} model has no such graph; choose from "
                         f"{' '.join(c.value for c in Component if c.serves(span_mode))}")
    if span_mode == TOKEN_LEVEL and Layout.FILES.value in args.layout:
        raise ValueError("--layout files writes the seed's span graphs, which a token_level model does not have; "
                         "use --layout bundle")
    return [c for c in components if c.serves(span_mode)]


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        # Validate the request before loading anything heavy.
        precisions = [Precision.parse(p) for p in args.precisions]
        components = [Component(c) for c in args.components]
        if args.web and args.layout != [Layout.BUNDLE.value]:
            raise ValueError("--web writes a bundle (LiteRT.js takes no int64 inputs, which the seed's files have); "
                             "drop --layout")
        plans = _plans(args, precisions, components)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    out = args.out or Path("build") / Path(args.model.rstrip("/")).name
    from convert.run import Options, check_output_dir, convert_all, fit_seq_lens
    from upstream.source import SourceError, hub_offline, load_model, resolve

    created = not out.exists()
    try:
        source = resolve(args.model, offline=hub_offline())
        try:
            served = _served(args, components, source.config.get("span_mode"))
            plans = _plans(args, precisions, served)
        except ValueError as e:
            raise SourceError(str(e)) from None
        check_output_dir(out, source.folder)
        model = load_model(source)
        # Buckets past the model's position range: only known once the model is loaded.
        plans = _plans(args, precisions, served, lambda seq_lens: fit_seq_lens(model, seq_lens, bool(args.seq_lens)))
        convert_all(model, source, plans, out, Options(fuse_span_head=not args.no_fuse_span_head, force=args.force))
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
