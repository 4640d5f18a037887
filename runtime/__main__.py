"""CLI: python -m runtime --model DIR (--labels person,organization | --labels-file FILE | --bank BANK) [options]
[TEXT ...]; one JSON line per text. --save-bank BANK writes the labels' bank and exits."""

from __future__ import annotations

import argparse
import json
import os
import sys

from common.variants import Precision

OVERFLOW_CHOICES = ("window", "truncate", "error")  # runtime.model.ON_OVERFLOW, without importing it here


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m runtime", description=__doc__,
        epilog="Without TEXT arguments, texts are read from stdin, one per line (UTF-8, LF or CRLF). Each output "
        'line is {"text": ..., "entities": [{"start", "end", "text", "label", "score"}, ...]}. A bad input prints '
        '"error: line N: ..." on stderr and the others go on; exit 1 if any failed, 2 if the model cannot be used.',
    )
    src = p.add_argument_group("model")
    src.add_argument("--model", required=True, help="artifacts folder written by `python -m convert`")
    src.add_argument("--precision", default="fp32", choices=[x.suffix for x in Precision])
    src.add_argument("--threads", type=int, default=None, help="LiteRT CPU threads (default: LiteRT's)")
    src.add_argument("--max-seq-len", type=int, default=None, metavar="S",
                     help="use no bucket larger than S: longer texts run as windows of it (less memory)")
    what = p.add_argument_group("entities")
    given = what.add_mutually_exclusive_group(required=True)
    given.add_argument("--labels", help="comma-separated entity types, e.g. person,organization")
    given.add_argument("--labels-file", metavar="FILE",
                       help="entity types, one per line (UTF-8; blank lines and surrounding spaces ignored)")
    given.add_argument("--bank", metavar="BANK", help="a label bank written by --save-bank with this model")
    what.add_argument("--save-bank", metavar="BANK",
                      help="encode --labels/--labels-file once, write them as a label bank (.npz) and exit")
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


def _not_utf8(arg: str) -> str | None:
    """What is wrong with a command-line argument that was not valid UTF-8, or None. Python hands such bytes
    over as lone surrogates (surrogateescape), which no tokenizer takes."""
    try:
        arg.encode("utf-8")
        return None
    except UnicodeEncodeError as e:
        ch = ord(arg[e.start])
        byte = f"byte 0x{ch - 0xDC00:02X}" if 0xDC80 <= ch <= 0xDCFF else f"U+{ch:04X}"
        return (f"is not valid UTF-8 ({byte} at character {e.start}); pass UTF-8 text, e.g. convert it with "
                "`iconv -f <its encoding> -t utf-8`")


def _inputs(texts: list[str]):
    """(where, text or problem) per input: each TEXT argument, else each stdin line (CRLF or LF, decoded as
    UTF-8 one line at a time, so one bad line does not end the stream)."""
    if texts:
        for i, text in enumerate(texts, 1):
            bad = _not_utf8(text)
            yield f"argument {i}", (ValueError(f"the text {bad}") if bad else text)
        return
    for n, raw in enumerate(sys.stdin.buffer, 1):
        raw = raw.removesuffix(b"\n").removesuffix(b"\r")
        try:
            yield f"line {n}", raw.decode("utf-8")
        except UnicodeDecodeError as e:
            yield f"line {n}", ValueError(
                f"not valid UTF-8 (byte 0x{raw[e.start]:02X} at byte {e.start}); convert the input to UTF-8, "
                "e.g. `iconv -f <its encoding> -t utf-8`"
            )


def main(argv=None) -> int:
    """Exit 0 if every text was tagged, 1 if some input failed (one `error: <where>: ...` line each on stderr,
    the others still tagged), 2 if the model or the options cannot be used (nothing tagged after)."""
    args = parser().parse_args(argv)
    labels = None
    if args.labels is not None:
        bad = _not_utf8(args.labels)
        if bad:
            print(f"error: --labels {bad}", file=sys.stderr)
            return 2
        labels = [x.strip() for x in args.labels.split(",")]
    elif args.labels_file is not None:
        try:
            raw = open(args.labels_file, "rb").read()
            labels = [x.strip() for x in raw.decode("utf-8").splitlines() if x.strip()]
        except OSError as e:
            print(f"error: --labels-file {args.labels_file}: {e.strerror or e}", file=sys.stderr)
            return 2
        except UnicodeDecodeError as e:
            print(f"error: --labels-file {args.labels_file} is not valid UTF-8 (byte {e.start}); convert it with "
                  "`iconv -f <its encoding> -t utf-8`", file=sys.stderr)
            return 2
    if args.save_bank and labels is None:
        print("error: --save-bank needs the labels to encode: pass --labels or --labels-file", file=sys.stderr)
        return 2
    from common.manifest import ManifestError
    from runtime.artifacts import ArtifactError
    from runtime.model import GLiNERLiteRT

    failed = 0
    try:
        try:
            model = GLiNERLiteRT.from_pretrained(args.model, precision=args.precision, num_threads=args.threads,
                                                 max_seq_len=args.max_seq_len)
            if labels is None:
                labels = model.load_bank(args.bank)
            else:
                model.encode_labels(labels)  # bad labels fail once, here, not once per text
            if args.save_bank:
                bank = model.build_bank(labels)
                print(f"wrote {bank.save(args.save_bank)}: {len(bank)} labels", file=sys.stderr)
                return 0
        except (ValueError, FileNotFoundError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        except OSError as e:  # e.g. --save-bank into a folder this user cannot write
            print(f"error: {e.filename or args.save_bank}: {e.strerror or e}", file=sys.stderr)
            return 2
        for where, text in _inputs(args.texts):
            try:
                if isinstance(text, Exception):
                    raise text
                ents = model.predict_entities(
                    text, labels, threshold=args.threshold, flat_ner=args.flat_ner, multi_label=args.multi_label,
                    on_overflow=args.on_overflow,
                )
            except (ArtifactError, ManifestError, FileNotFoundError) as e:
                print(f"error: {e}", file=sys.stderr)  # the folder: every later text would fail the same way
                return 2
            except ValueError as e:
                print(f"error: {where}: {e}", file=sys.stderr)
                failed += 1
                continue
            print(json.dumps({"text": text, "entities": ents}, ensure_ascii=False), flush=True)
    except BrokenPipeError:
        # The reader closed the pipe (`| head`): stop quietly. Point stdout at /dev/null so the interpreter's
        # final flush does not raise again (the Python docs' recipe for SIGPIPE).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except KeyboardInterrupt:
        return 130
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
