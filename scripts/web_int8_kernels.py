"""How far two CPU kernel sets of LiteRT itself move int8 scores on the same file: the Python runtime (CompiledModel,
XNNPACK) against LiteRT's builtin kernels (Interpreter without default delegates), entity scores on the eval suite.
Context for the web runtime's int8 tolerance (docs/WEB.md, "Agreement"); writes docs/web-int8-kernels.json.

    python -m scripts.web_int8_kernels --artifacts build/tiny-trained-web
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common.inputs import TEXT_OUTPUT  # noqa: E402
from runtime import GLiNERLiteRT  # noqa: E402
from runtime.decoding import sigmoid  # noqa: E402
from validate.suite import load_suite  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--artifacts", type=Path, required=True)
    ap.add_argument("--precision", default="int8")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "web-int8-kernels.json")
    args = ap.parse_args(argv)
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    warnings.simplefilter("ignore")
    model = GLiNERLiteRT.from_pretrained(args.artifacts, precision=args.precision, span_scoring=False)
    art = model.artifacts.graphs[model.artifacts.labels_variant][0]
    interp = Interpreter(model_path=str(args.artifacts / art.file),
                         experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    worst, n, over = 0.0, 0, 0
    for item in load_suite():
        try:
            labels = model._check_labels(list(item.labels))
        except ValueError:
            continue
        embeds = model.encode_labels(labels)
        prepared = model.prepare(item.text)
        if len(prepared.windows) != 1:
            continue
        ents = model.predict_entities(item.text, labels)
        if not ents:
            continue
        calls = model.build_calls(prepared, prepared.windows[0], embeds)
        for g, call in enumerate(calls):
            a = model.run_call(call)
            runner = interp.get_signature_runner(call.bucket.variant.signature)
            b = runner(**call.arrays)[TEXT_OUTPUT][0, : call.num_words, :, : call.num_labels]
            for e in ents:
                s = next(i for i, x in enumerate(prepared.starts) if x == e["start"])
                t = next(i for i, x in enumerate(prepared.ends) if x == e["end"])
                c = labels.index(e["label"]) - g * model.config.max_types
                if not 0 <= c < call.num_labels:
                    continue
                d = abs(float(sigmoid(a[s, t - s, c])) - float(sigmoid(b[s, t - s, c])))
                worst = max(worst, d)
                over += d > 2e-3
                n += 1
    out = {"artifacts": str(args.artifacts), "precision": args.precision, "entities": n,
           "max_score_diff_xnnpack_vs_builtin": worst, "entities_over_2e-3": over}
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
