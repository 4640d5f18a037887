"""CLI: python -m runtime --model DIR --labels person,organization [options] [TEXT ...]; one JSON line per text."""

from __future__ import annotations

import argparse
import json
import sys

from common.variants import Precision

OVERFLOW_CHOICES = ("window", "truncate", "error")  # runtime.model.ON_OVERFLOW, without importing it here


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m runtime", description=__doc__,
        epilog="Without TEXT arguments, texts are read from stdin, one per line. Each output line is "
        '{"text": ..., "entities": [{"start", "end", "text", "label", "score"}, ...]}.',
    )
    src = p.add_argument_group("model")
    src.add_argument("--model", required=True, help="artifacts folder written by `python -m convert`")
    src.add_argument("--precision", default="fp32", choices=[x.suffix for x in Precision])
    src.add_argument("--threads", type=int, default=None, help="LiteRT CPU threads (default: LiteRT's)")
    what = p.add_argument_group("entities")
    what.add_argument("--labels", required=True, help="comma-separated entity types, e.g. person,organization")
    what.add_argument("--threshold", type=float, default=0.5,
                      help="keep spans scoring above this (default: %(default)s)")
    nest = what.add_mutually_exclusive_group()
    nest.add_argument("--flat-ner", dest="flat_ner", action="store_true", default=True,
                      help="no overlapping entities (default)")
    nest.add_argument("--nested", dest="flat_ner", action="store_false", help="allow nested (never crossing) entities")
    what.add_argument("--multi-label", action="store_true", help="allow several labels on one span")
    what.add_argument("--on-overflow", default="window", choices=OVERFLOW_CHOICES,
                      help="texts longer than one graph call: overlapping windows, truncate, or error "
                      "(default: %(default)s)")
    p.add_argument("texts", nargs="*", metavar="TEXT", help="texts to tag (default: stdin, one per line)")
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    labels = [x.strip() for x in args.labels.split(",")]
    from runtime.model import GLiNERLiteRT

    try:
        model = GLiNERLiteRT.from_pretrained(args.model, precision=args.precision, num_threads=args.threads)
        texts = args.texts if args.texts else (line.rstrip("\n") for line in sys.stdin)
        for text in texts:
            ents = model.predict_entities(
                text, labels, threshold=args.threshold, flat_ner=args.flat_ner, multi_label=args.multi_label,
                on_overflow=args.on_overflow,
            )
            print(json.dumps({"text": text, "entities": ents}, ensure_ascii=False), flush=True)
    except (ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
