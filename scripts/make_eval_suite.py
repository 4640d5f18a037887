#!/usr/bin/env python3
"""Generate the bundled evaluation suite ``validate/suite/eval_suite_v1.jsonl``.

Deterministic (fixed seed), pure standard library, no network access. Running
it twice produces a byte-identical file.

The literal data lives in ``scripts/eval_suite_data/`` (see its README); this
file only assembles it. Two kinds of rows are written:

* ``origin = "handwritten"``: texts written by hand for this project
  (``handwritten.jsonl``: news, science, biomedical, legal, finance, social
  media, code, addresses, contact details, numbers/dates, multilingual, edge).
* ``origin = "template:<name>"``: texts produced by filling sentence templates
  (``templates.json``) or small generator functions such as ``long_token`` /
  ``whitespace_noise`` with values from fictional pools (``pools.json``,
  ``addresses.json``).

All people, companies and products are fictional; any resemblance is
coincidental. Nothing is copied from third-party text.

Usage::

    python scripts/make_eval_suite.py                 # writes the bundled file
    python scripts/make_eval_suite.py --out /tmp/x.jsonl
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import string
import sys
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from validate.suite import MAX_LABELS  # noqa: E402
from validate.suite import CATEGORIES as SUITE_CATEGORIES  # noqa: E402
from validate.suite import CORE_LABELS  # noqa: E402

SUITE_VERSION = "v1"
SEED = 20240601

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO_ROOT / "validate" / "suite" / f"eval_suite_{SUITE_VERSION}.jsonl"
DATA_DIR = Path(__file__).resolve().parent / "eval_suite_data"

# The suite's vocabulary lives in validate/suite.py; the generator reuses it so the two cannot drift.
CORE = list(CORE_LABELS)
CATEGORIES = list(SUITE_CATEGORIES)


def _load_json(name: str):
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def _load_handwritten() -> dict[str, list[tuple[str, list[str]]]]:
    """category -> [(text, labels)]; ``"core": true`` puts the core labels before ``labels``."""
    rows: dict[str, list[tuple[str, list[str]]]] = {c: [] for c in CATEGORIES}
    path = DATA_DIR / "handwritten.jsonl"
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        row = json.loads(line)
        if row["category"] not in rows:
            raise ValueError(f"{path}:{lineno}: unknown category {row['category']!r}")
        labels = (CORE if row.get("core") else []) + row["labels"]
        rows[row["category"]].append((row["text"], labels))
    return rows


HANDWRITTEN = _load_handwritten()
POOLS: dict[str, list[str]] = _load_json("pools.json")
# (street, city + postcode, country) kept together so addresses stay coherent.
ADDRESSES: list[tuple[str, str, str]] = [tuple(a) for a in _load_json("addresses.json")]
TEMPLATES: dict[str, list[tuple[str, str]]] = {
    cat: list(named.items()) for cat, named in _load_json("templates.json").items()
}
# Extra labels used when a template row's label set is larger than the 8 core types.
CATEGORY_EXTRAS: dict[str, list[str]] = _load_json("category_labels.json")
GENERIC_EXTRAS: list[str] = _load_json("generic_labels.json")


def _ascii_slug(s: str, sep: str = "") -> str:
    norm = unicodedata.normalize("NFKD", s)
    ascii_only = "".join(ch for ch in norm if not unicodedata.combining(ch))
    ascii_only = ascii_only.replace("ł", "l").replace("Ł", "L").replace("ø", "o")
    words = [
        "".join(ch for ch in w.lower() if ch.isascii() and ch.isalnum())
        for w in ascii_only.replace("&", " ").split()
    ]
    words = [w for w in words if w and w != "the"]
    return sep.join(words)


_SENTENCE_START_THE = re.compile(r"(^|[.!?]\s+|\n)the ")


class Filler:
    """Fills ``str.format``-style templates with pool values using one RNG."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def fill(self, template: str) -> str:
        fields = []
        for _, name, _, _ in string.Formatter().parse(template):
            if name is not None and name not in fields:
                fields.append(name)
        values: dict[str, str] = {}
        used: dict[str, list[str]] = {}
        address = None

        def pick(base: str) -> str:
            pool = POOLS[base]
            taken = used.setdefault(base, [])
            choices = [v for v in pool if v not in taken] or pool
            val = self.rng.choice(choices)
            taken.append(val)
            return val

        def get(name: str) -> str:
            nonlocal address
            if name in values:
                return values[name]
            base = name.rstrip("0123456789")
            if base in ("street", "city_postcode", "country"):
                if address is None:
                    address = self.rng.choice(ADDRESSES)
                val = address[("street", "city_postcode", "country").index(base)]
            elif base == "email":
                first, *rest = _ascii_slug(get("person"), sep=" ").split() or ["info"]
                last = rest[-1] if rest else "team"
                domain = _ascii_slug(get("org"), sep="-")
                style = self.rng.randrange(3)
                local = (f"{first}.{last}", f"{first[0]}{last}", f"{first}_{last[0]}")[style]
                tld = self.rng.choice(["com", "org", "io", "co.uk", "example"])
                val = f"{local}@{domain}.{tld}"
            elif base == "url":
                domain = _ascii_slug(get("org"), sep="")
                tail = self.rng.choice(
                    ["", "/press", "/help/contact", "/events/2025?ref=newsletter",
                     "/recall#faq", "/en-gb/products/"]
                )
                scheme = self.rng.choice(["https://www.", "https://", "www.", "http://"])
                val = f"{scheme}{domain}.com{tail}"
            elif base == "orgbare":
                org = get("org")
                val = org[4:] if org.startswith("the ") else org
            elif base == "orgslug":
                val = _ascii_slug(get("org"), sep="-")
            elif base == "ticker":
                letters = "".join(w[0] for w in _ascii_slug(get("org"), sep=" ").split()).upper()
                extra = _ascii_slug(get("org")).upper()
                val = (letters + extra)[:4]
            elif base == "event_tag":
                val = "#" + _ascii_slug(get("event")).title().replace(" ", "")
            else:
                val = pick(base)
            values[name] = val
            return val

        for f in fields:
            get(f)
        text = template.format(**values)
        # Pool values such as "the Institute for ..." must be capitalised when
        # they start a sentence or a line.
        return _SENTENCE_START_THE.sub(lambda m: m.group(1) + "The ", text)


# Number of template rows per category (besides the special generators below).
TEMPLATE_ROWS = {
    "news": 12, "science": 10, "biomedical": 10, "legal": 10, "finance": 10, "social_media": 10,
    "code": 11, "addresses": 10, "contact": 10, "numbers_dates": 10, "multilingual": 12,
}

# Categories that also get multi-paragraph "report" rows built from templates.
REPORT_ROWS = {"news": 2, "science": 1, "biomedical": 1, "legal": 1, "finance": 2}


def make_report(filler: Filler, rng: random.Random, category: str) -> str:
    """Multi-paragraph text: 4-5 paragraphs of 3 filled templates each."""
    templates = [t for _, t in TEMPLATES[category]]
    paragraphs = []
    for _ in range(rng.randint(4, 5)):
        chosen = rng.sample(templates, 3)
        paragraphs.append(" ".join(filler.fill(t) for t in chosen))
    return "\n\n".join(paragraphs)


def make_long_document(filler: Filler, rng: random.Random) -> str:
    """A very long (~900+ word) document mixing several categories."""
    cats = ["news", "finance", "biomedical", "science", "legal"]
    paragraphs = []
    while sum(len(p.split()) for p in paragraphs) < 900:
        cat = cats[len(paragraphs) % len(cats)]
        chosen = rng.sample([t for _, t in TEMPLATES[cat]], 3)
        paragraphs.append(" ".join(filler.fill(t) for t in chosen))
    return "\n\n".join(paragraphs)


def make_long_token(rng: random.Random, n_chars: int) -> str:
    """One very long whitespace-free token (hex digest chain)."""
    seed = str(rng.getrandbits(64)).encode()
    out = ""
    while len(out) < n_chars:
        seed = hashlib.sha256(seed).digest()
        out += seed.hex()
    return out[:n_chars]


def whitespace_noise(rng: random.Random, text: str) -> str:
    seps = [" ", "  ", "\t", "\n", " \t ", "\n\n", "   ", "\r\n"]
    words = text.split()
    out = [rng.choice(["", " ", "\n", "\t"])]
    for i, w in enumerate(words):
        out.append(w)
        if i < len(words) - 1:
            out.append(rng.choice(seps))
    out.append(rng.choice(["", "  ", "\n", "\t\n"]))
    return "".join(out)


def edge_template_rows(filler: Filler, rng: random.Random) -> list[tuple[str, str]]:
    """(origin name, text) pairs for generated edge cases."""
    news = [t for _, t in TEMPLATES["news"]]
    rows = []
    rows.append(("caps", filler.fill(rng.choice(news)).upper()))
    text = filler.fill(rng.choice(news)).lower()
    keep = "".join(ch if (ch.isalnum() or ch.isspace()) else " " for ch in text)
    rows.append(("lowercase_nopunct", " ".join(keep.split())))
    rows.append(("whitespace_noise", whitespace_noise(rng, filler.fill(rng.choice(news)))))
    rows.append(("whitespace_noise", whitespace_noise(rng, filler.fill(rng.choice(news)))))
    rows.append(("long_token", make_long_token(rng, 600)))
    rows.append((
        "long_token",
        filler.fill("{person} from {org} uploaded ")
        + make_long_token(rng, 400)
        + filler.fill(" on {date} for the {event}."),
    ))
    rows.append((
        "entity_list",
        filler.fill("{person}, {org}, {loc}, {date}, {product}, {event}, {disease}, {money}"),
    ))
    rows.append(("repeated_entity", " ".join([filler.fill("{loc}")] * 60)))
    rows.append(("long_document", make_long_document(filler, rng)))
    rows.append(("no_space_joined",
                 filler.fill("{person}{org}{loc}{date}{product}").replace(" ", "")))
    return rows


def label_schedule(rng: random.Random, n_rows: int) -> list[int]:
    """Label counts for template rows: every count 1..25 at least once, rest mostly 6..14."""
    counts = list(range(1, MAX_LABELS + 1))
    weights = {6: 2, 7: 3, 8: 10, 9: 8, 10: 7, 11: 6, 12: 5, 13: 4, 14: 3, 16: 2, 18: 2,
               20: 1, 25: 1}
    population = list(weights)
    wts = [weights[k] for k in population]
    while len(counts) < n_rows:
        counts.append(rng.choices(population, weights=wts)[0])
    rng.shuffle(counts)
    return counts


def make_labels(rng: random.Random, category: str, n: int) -> list[str]:
    extras = CATEGORY_EXTRAS.get(category, [])
    if n <= 4:
        return rng.sample(CORE + extras, n)
    if n < len(CORE):
        return rng.sample(CORE, n)
    labels = list(CORE)
    for lab in rng.sample(extras, len(extras)) + rng.sample(GENERIC_EXTRAS, len(GENERIC_EXTRAS)):
        if len(labels) >= n:
            break
        if lab not in labels:
            labels.append(lab)
    if rng.random() < 0.5:
        rng.shuffle(labels)
    return labels


def build_rows() -> list[dict]:
    rng = random.Random(SEED)
    filler = Filler(rng)

    # 1. Generate (category, origin, text) for all template rows, in a fixed order.
    generated: dict[str, list[tuple[str, str]]] = {c: [] for c in CATEGORIES}
    for cat in CATEGORIES:
        if cat in TEMPLATE_ROWS:
            tmpls = TEMPLATES[cat]
            for i in range(TEMPLATE_ROWS[cat]):
                name, tmpl = tmpls[i % len(tmpls)]
                generated[cat].append((f"template:{name}", filler.fill(tmpl)))
        for _ in range(REPORT_ROWS.get(cat, 0)):
            generated[cat].append((f"template:report_{cat}", make_report(filler, rng, cat)))
        if cat == "edge":
            for name, text in edge_template_rows(filler, rng):
                generated[cat].append((f"template:{name}", text))

    # 2. Label sets for template rows.
    n_template = sum(len(v) for v in generated.values())
    schedule = label_schedule(rng, n_template)

    rows: list[dict] = []
    k = 0
    for cat in CATEGORIES:
        idx = 1
        for text, labels in HANDWRITTEN[cat]:
            rows.append({"id": f"{cat}-{idx:03d}", "category": cat, "origin": "handwritten",
                         "text": text, "labels": list(labels)})
            idx += 1
        for origin, text in generated[cat]:
            labels = make_labels(rng, cat, schedule[k])
            k += 1
            rows.append({"id": f"{cat}-{idx:03d}", "category": cat, "origin": origin,
                         "text": text, "labels": labels})
            idx += 1
    _self_check(rows)
    return rows


def _self_check(rows: list[dict]) -> None:
    ids = set()
    for r in rows:
        assert r["id"] not in ids, r["id"]
        ids.add(r["id"])
        labels = r["labels"]
        assert isinstance(r["text"], str) and r["text"], r["id"]
        assert 1 <= len(labels) <= MAX_LABELS, (r["id"], len(labels))
        assert len(set(labels)) == len(labels), (r["id"], labels)
        assert all(isinstance(x, str) and x.strip() for x in labels), r["id"]
        assert "{" not in r["text"] or r["category"] == "code", (r["id"], r["text"])


def render(rows: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output JSONL path")
    args = ap.parse_args(argv)
    rows = build_rows()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(render(rows))
    print(f"wrote {len(rows)} rows to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
