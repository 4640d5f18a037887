"""Writes what the web runtime (web/) must reproduce, computed by the Python runtime on one converted folder:
words and tokens (pure.json, for `node --test`), and entities for the browser suite (browser.json), label banks
(bank-{precision}.npz, a bank of another model, an edited one). Offsets are converted to UTF-16, as JS indexes.
With --token-artifacts (a token-level model's web bundle) also browser-token.json: its entities.

    python -m scripts.web_expected --artifacts build/tiny-trained-web --out build/web-expected \
        [--token-artifacts build/tiny-token-trained-web]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runtime import GLiNERLiteRT  # noqa: E402
from runtime.bank import LabelBank  # noqa: E402
from runtime.decoding import decode_spans  # noqa: E402
from runtime.token_decoding import decode_tokens  # noqa: E402
from runtime.windows import plan_smallest_buckets  # noqa: E402
from runtime.words import split_words  # noqa: E402
from validate.suite import CORE_LABELS, FILL_SENTENCES, load_suite  # noqa: E402

EXTRA_TEXTS = [
    "Paris",
    "北京大学的王小明在东京参加了会议。 Tokyo 東京 서울",
    "Launch day 🚀🎉 for the Pixel 8 in New York 😀 👍🏽 with Maria Garcia of Acme Corp.",
    "Zoë Ångström visited Kraków, São Paulo and Montréal with François Müller on 3 May 2021.",
    "  leading and trailing spaces,\ttabs\nand newlines around Helios Pharma  ",
    "state-of-the-art Jean-Pierre co-founded Rolls-Royce in mid-2020 for $1,234.56",
    "<<ENT>> [FLERT] <<SEP>> [CLS] x\u200by a\u0301 e\u0301\u0301 ﬁ ① ½ Ⅻ ² ߀ ٣ 𝟘 𝔸𝔹 𠀀𠀁 \u1680x\u2028y\u0085z\x1cw\ufeffv",
    "Σίσυφος ΟΔΥΣΣΕΥΣ İstanbul ǅemal straße ﬀ Ꭰ हिन्दी नमस्ते தமிழ் ภาษาไทย العربية עברית",
    "email maria.garcia@acme.com, url https://acme.com/x?y=1&z=2, phone +1 (555) 010-9999, a_b-c_-d -e f- g__h",
]
LABELS_25 = list(CORE_LABELS) + [
    "email", "url", "phone number", "programming language", "chemical compound", "law", "court case",
    "stock ticker", "job title", "nationality", "vehicle", "drug", "gene", "protein", "city", "country", "company",
]
HOSTILE_LABELS = ["Person", "ÉCOLE", "北京", "naïve café", "emoji 🚀 label", "x" * 200, "a-b_c", "ǅ", "İ"]


def utf16(text: str, i: int) -> int:
    return len(text[:i].encode("utf-16-le")) // 2


def random_texts(n: int, seed: int) -> list[str]:
    """Strings drawn from every plane, with spaces, marks, hyphens and underscores between: what the word splitter
    must agree on."""
    rng = random.Random(seed)
    pools = [range(0x20, 0x7F), range(0xA0, 0x2000), range(0x2000, 0x3100), range(0x3400, 0xA000),
             range(0xAC00, 0xD7A4), range(0xF900, 0xFFFE), range(0x10000, 0x1FFFF), range(0x20000, 0x2FA1F)]
    out = []
    for _ in range(n):
        chars = []
        for _ in range(rng.randint(1, 80)):
            r = rng.random()
            if r < 0.15:
                chars.append(rng.choice(" -_\t\n"))
            else:
                cp = rng.choice(rng.choice(pools))
                if not 0xD800 <= cp <= 0xDFFF:
                    chars.append(chr(cp))
        out.append("".join(chars))
    return out


def labels_300(model) -> list[str]:
    data = ROOT / "scripts" / "eval_suite_data"
    pool = LABELS_25 + json.loads((data / "generic_labels.json").read_text())
    for labels in json.loads((data / "category_labels.json").read_text()).values():
        pool += labels
    pool += [f"entity type {i}" for i in range(400)]
    seen, out = set(), []
    for label in pool:
        key = tuple(model.labels_tokenizer.encode(label).ids)
        if key not in seen:
            seen.add(key)
            out.append(label)
    return out[:300]


def entities16(text: str, ents: list[dict]) -> list[dict]:
    return [{**e, "start": utf16(text, e["start"]), "end": utf16(text, e["end"])} for e in ents]


def pure(model, texts: list[str]) -> dict:
    tok, lab = model.text_tokenizer, model.labels_tokenizer
    words = []
    for t in texts:
        triples = split_words(t)
        ws = [w for w, _, _ in triples]
        enc = tok.encode(ws, is_pretokenized=True)
        words.append({"text": t, "words": ws, "starts": [utf16(t, a) for _, a, _ in triples],
                      "ends": [utf16(t, b) for _, _, b in triples], "ids": enc.ids, "word_ids": enc.word_ids})
    labels = LABELS_25 + HOSTILE_LABELS + labels_300(model)[25:] + [w for t in texts[:60] for w in t.split()[:3]]
    label_ids = [{"label": x, "ids": lab.encode(x).ids} for x in dict.fromkeys(labels)]
    rng = np.random.default_rng(0)
    windows = []
    for _ in range(60):
        n = int(rng.integers(1, 3000))
        counts = rng.integers(0, 6, n).tolist()
        budgets = [(256, 256), (1024, 600)]
        overlap = int(rng.choice([24, 48, 96]))
        plan = plan_smallest_buckets(counts, 2, budgets, overlap)
        windows.append({"counts": counts, "special": 2, "budgets": budgets, "overlap": overlap,
                        "windows": [[w.start, w.stop, w.own_start, w.own_stop] for w in plan]})
    decodings = []
    for i in range(120):
        words_n = int(rng.integers(1, 40))
        W, C = 12, int(rng.integers(1, 6))
        logits = (rng.normal(0, 2.5, (words_n, W, C))).astype(np.float32)
        if i % 4 == 0:
            logits = np.round(logits)  # ties: the stable sort decides
        thr = float(rng.choice([0.1, 0.3, 0.5, 0.7, 0.9]))
        flat, multi = bool(i % 2), bool((i // 2) % 2)
        labels = [f"l{c}" for c in range(C)]
        spans = decode_spans(logits, words_n, labels, threshold=thr, flat_ner=flat, multi_label=multi)
        decodings.append({"logits": logits.ravel().tolist(), "shape": [words_n, W, C], "threshold": thr,
                          "flat_ner": flat, "multi_label": multi,
                          "spans": [[s, e, int(label[1:]), score] for s, e, label, score in spans]})
    # Token-level decoding (runtime/token_decoding.py, held to gliner's TokenDecoder by tests/test_token_decoding.py):
    # a coarse grid half the time, so ties and inside scores at the threshold occur.
    token_decodings = []
    for i in range(120):
        words_n, C = int(rng.integers(1, 30)), int(rng.integers(1, 5))
        logits = rng.normal(1.0, 2.0, (words_n, C, 3)).astype(np.float32)
        if i % 2 == 0:
            logits = np.round(logits * 2) / 2
        thr = float(rng.choice([0.3, 0.5, 0.7]))
        flat, multi = bool(i % 2), bool((i // 2) % 2)
        labels = [f"l{c}" for c in range(C)]
        spans = decode_tokens(logits, words_n, labels, threshold=thr, flat_ner=flat, multi_label=multi)
        token_decodings.append({"logits": logits.ravel().tolist(), "shape": [words_n, C], "threshold": thr,
                                "flat_ner": flat, "multi_label": multi,
                                "spans": [[s, e, int(label[1:]), score] for s, e, label, score in spans]})
    return {"words": words, "labels": label_ids, "windows": windows, "decodings": decodings,
            "token_decodings": token_decodings, "special_tokens": tok.num_special_tokens_to_add(False)}


def browser(models: dict, out: Path) -> dict:
    suite = load_suite()
    fp32 = models["fp32"]
    l300 = labels_300(fp32)
    long_text = " ".join(FILL_SENTENCES * 2)
    short = [it.text for it in suite if it.category in ("news", "multilingual", "social_media")][:3] + EXTRA_TEXTS[2:4]
    cases = []

    def add(name, precision, text, labels, threshold=0.5, flat_ner=True, multi_label=False, bank=None):
        model = models[precision]
        case = {"name": name, "precision": precision, "text": text, "labels": None if bank else labels,
                "bank": bank, "threshold": threshold, "flat_ner": flat_ner, "multi_label": multi_label}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            src = model.load_bank(out / bank) if bank else labels
            try:
                ents = model.predict_entities(text, src, threshold=threshold, flat_ner=flat_ner, multi_label=multi_label)
                case["entities"] = entities16(text, ents)
            except ValueError as e:  # labels the tokenizer cannot tell apart: a refusal both runtimes must make
                case["error"] = str(e)
        cases.append(case)

    for p in models:
        for it in suite:
            add(f"suite/{it.id}", p, it.text, list(it.labels))
        for n in (1, 25, 26, 300):
            for i, text in enumerate(short):
                for flat in (True, False):
                    add(f"labels{n}/{i}/{'flat' if flat else 'nested'}", p, text, l300[:n] if n != 1 else ["person"],
                        threshold=0.3, flat_ner=flat)
                add(f"labels{n}/{i}/multi", p, text, l300[:n] if n != 1 else ["person"], threshold=0.3, multi_label=True)
                add(f"labels{n}/{i}/nested-multi", p, text, l300[:n] if n != 1 else ["person"], threshold=0.3,
                    flat_ner=False, multi_label=True)
        add("windows/long-25", p, long_text, LABELS_25)
        add("windows/long-300", p, long_text, l300, threshold=0.3)
        for i, text in enumerate(short[:3]):
            add(f"bank/{i}", p, text, None, bank=f"bank-{p}.npz")
    return {"cases": cases, "labels300": l300}


def token_browser(models: dict) -> dict:
    """A token-level bundle's cases: suite texts, 1 to 60 labels (26+: two graph calls), flat / nested / multi-label,
    and a text longer than the largest bucket (windows)."""
    suite = load_suite()
    short = [it.text for it in suite if it.category in ("news", "multilingual", "social_media")][:3] + EXTRA_TEXTS[2:4]
    many = LABELS_25 + [f"entity type {i}" for i in range(35)]
    cases = []
    for p, model in models.items():
        def add(name, text, labels, threshold=0.5, flat_ner=True, multi_label=False):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ents = model.predict_entities(text, labels, threshold=threshold, flat_ner=flat_ner, multi_label=multi_label)
            cases.append({"name": name, "precision": p, "text": text, "labels": labels, "bank": None,
                          "threshold": threshold, "flat_ner": flat_ner, "multi_label": multi_label,
                          "entities": entities16(text, ents)})

        for it in suite[:80]:
            add(f"token/suite/{it.id}", it.text, list(it.labels))
        for n in (1, 25, 26, 60):
            for i, text in enumerate(short):
                for flat, multi in ((True, False), (False, False), (True, True), (False, True)):
                    add(f"token/labels{n}/{i}/{'flat' if flat else 'nested'}{'-multi' if multi else ''}", text,
                        many[:n] if n != 1 else ["person"], threshold=0.3, flat_ner=flat, multi_label=multi)
        add("token/windows/long-25", " ".join(FILL_SENTENCES * 2), LABELS_25)
    return {"cases": cases}


def hostile(models: dict) -> dict:
    text = " ".join(FILL_SENTENCES * 40)[:200_000]
    labels = list(CORE_LABELS) + [f"entity type {i}" for i in range(10_000 - len(CORE_LABELS))]
    out = {}
    for p, model in models.items():
        out[p] = {
            "long": entities16(text, model.predict_entities(text, list(CORE_LABELS))),
            "many": entities16(EXTRA_TEXTS[2], model.predict_entities(EXTRA_TEXTS[2], labels, threshold=0.5)),
        }
    return {"long_text_chars": len(text), "many_labels": labels, "results": out, "text": text}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--artifacts", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--precisions", nargs="+", default=["fp32", "int8"])
    ap.add_argument("--token-artifacts", type=Path, help="a token-level model's web bundle: writes browser-token.json")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    models = {p: GLiNERLiteRT.from_pretrained(args.artifacts, precision=p) for p in args.precisions}
    texts = [it.text for it in load_suite()] + EXTRA_TEXTS + random_texts(300, seed=1)
    (args.out / "pure.json").write_text(json.dumps(pure(models["fp32"], texts), ensure_ascii=False))
    for p, model in models.items():
        model.build_bank(LABELS_25).save(args.out / f"bank-{p}.npz")
    other = "int8" if args.precisions[0] == "fp32" else "fp32"
    if other in models:
        shutil.copy(args.out / f"bank-{other}.npz", args.out / "bank-other.npz")
    # A bank another model made (its record names other weights): refused by identity, not by its digests.
    b = models[args.precisions[0]].build_bank(LABELS_25)
    LabelBank(b.labels, b.embeds, "0" * 64, b.precision, b.labels_tokenizer_sha256).save(args.out / "bank-othermodel.npz")
    # The bank's record kept, its rows reordered: the digest must refuse it.
    good = np.load(args.out / f"bank-{args.precisions[0]}.npz")
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("labels.npy", _npy(good["labels"]))
        z.writestr("embeds.npy", _npy(good["embeds"][::-1].copy()))
        z.writestr("meta.npy", _npy(good["meta"]))
    (args.out / "bank-edited.npz").write_bytes(buf.getvalue())
    (args.out / "browser.json").write_text(json.dumps(browser(models, args.out), ensure_ascii=False))
    h = hostile(models)
    (args.out / "hostile-text.txt").write_text(h.pop("text"), encoding="utf-8")
    (args.out / "hostile.json").write_text(json.dumps(h, ensure_ascii=False))
    if args.token_artifacts:
        tokens = {p: GLiNERLiteRT.from_pretrained(args.token_artifacts, precision=p) for p in args.precisions}
        (args.out / "browser-token.json").write_text(json.dumps(token_browser(tokens), ensure_ascii=False))
    print(f"wrote {args.out}")
    return 0


def _npy(a: np.ndarray) -> bytes:
    import io

    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


if __name__ == "__main__":
    raise SystemExit(main())
