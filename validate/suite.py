"""Bundled, versioned evaluation suite for validating converted GLiNER models.

The suite is a JSONL file (``validate/suite/eval_suite_v1.jsonl``) produced by
``scripts/make_eval_suite.py``. Each line is one object::

    {"id": "news-001", "category": "news", "origin": "handwritten",
     "text": "...", "labels": ["person", "organization", ...]}

This module is pure standard library on purpose (no numpy / torch), so it can
be imported anywhere the validation harness runs; it imports nothing from the project.

Public API
----------
``SUITE_VERSION``       -- version tag of the bundled suite ("v1").
``DEFAULT_SUITE_PATH``  -- path of the bundled JSONL file.
``CORE_LABELS``         -- the 8 entity types of the trained test fixture.
``CATEGORIES``          -- the text categories of the bundled suite.
``SuiteItem``           -- frozen dataclass (id, category, origin, text, labels).
``load_suite(path=None)``  -- read + validate a suite file (bundled by default).
``fill_text(count_tokens, limit, sentences=FILL_SENTENCES)``
                        -- one text filling a token budget (benchmarks, tests).
``fill_texts(count_tokens, seq_len, fractions=(0.5, 0.95), seed=0)``
                        -- suite items filling ~50% / ~95% of a token budget.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

# Labels per suite row: gliner-bi-base-v2.0's max_types. A property of the suite, not of a model: a model
# whose text graph takes fewer labels a call runs a row's labels in groups (validate/harness.py, runtime).
MAX_LABELS = 25

__all__ = [
    "SUITE_VERSION",
    "DEFAULT_SUITE_PATH",
    "CORE_LABELS",
    "CATEGORIES",
    "FILL_SENTENCES",
    "SuiteItem",
    "load_suite",
    "fill_text",
    "fill_texts",
]

SUITE_VERSION = "v1"

DEFAULT_SUITE_PATH = (
    Path(__file__).resolve().parent / "suite" / f"eval_suite_{SUITE_VERSION}.jsonl"
)

#: Entity types of the trained test fixture.
CORE_LABELS: tuple[str, ...] = (
    "person",
    "organization",
    "location",
    "date",
    "product",
    "event",
    "disease",
    "money",
)

#: Categories present in the bundled suite (``fill`` items are built at run time).
CATEGORIES: tuple[str, ...] = (
    "news",
    "science",
    "biomedical",
    "legal",
    "finance",
    "social_media",
    "code",
    "addresses",
    "contact",
    "numbers_dates",
    "multilingual",
    "edge",
)

_REQUIRED_FIELDS = ("id", "category", "origin", "text", "labels")


@dataclass(frozen=True)
class SuiteItem:
    id: str
    category: str
    origin: str
    text: str
    labels: tuple[str, ...]


def _row_error(path: Path, lineno: int, row_id: object, msg: str) -> ValueError:
    where = f"{path}:{lineno}"
    if isinstance(row_id, str) and row_id:
        where += f" (id {row_id!r})"
    return ValueError(f"invalid eval-suite row at {where}: {msg}")


def _parse_row(path: Path, lineno: int, obj: object, seen: dict[str, int]) -> SuiteItem:
    if not isinstance(obj, dict):
        raise _row_error(path, lineno, None, f"expected a JSON object, got {type(obj).__name__}")
    row_id = obj.get("id")
    missing = [k for k in _REQUIRED_FIELDS if k not in obj]
    if missing:
        raise _row_error(path, lineno, row_id, f"missing field(s) {', '.join(missing)}")
    if not isinstance(row_id, str) or not row_id.strip():
        raise _row_error(path, lineno, None, f"'id' must be a non-empty string, got {row_id!r}")
    if row_id in seen:
        raise _row_error(
            path, lineno, row_id, f"duplicate id (first seen on line {seen[row_id]})"
        )
    for key in ("category", "origin"):
        val = obj[key]
        if not isinstance(val, str) or not val:
            raise _row_error(path, lineno, row_id, f"{key!r} must be a non-empty string, got {val!r}")
    text = obj["text"]
    if not isinstance(text, str):
        raise _row_error(path, lineno, row_id, f"'text' must be a string, got {type(text).__name__}")
    labels = obj["labels"]
    if not isinstance(labels, list) or not labels:
        raise _row_error(path, lineno, row_id, "'labels' must be a non-empty list")
    if len(labels) > MAX_LABELS:
        raise _row_error(
            path, lineno, row_id, f"{len(labels)} labels, at most {MAX_LABELS} allowed"
        )
    for lab in labels:
        if not isinstance(lab, str) or not lab.strip():
            raise _row_error(path, lineno, row_id, f"label {lab!r} is not a non-empty string")
    if len(set(labels)) != len(labels):
        dups = sorted({lab for lab in labels if labels.count(lab) > 1})
        raise _row_error(path, lineno, row_id, f"duplicate label(s) {dups}")
    seen[row_id] = lineno
    return SuiteItem(
        id=row_id,
        category=obj["category"],
        origin=obj["origin"],
        text=text,
        labels=tuple(labels),
    )


def load_suite(path: str | Path | None = None) -> list[SuiteItem]:
    """Load and validate an evaluation suite (the bundled v1 file by default).

    Blank lines are skipped. Raises ``ValueError`` naming the file, line number
    and (when known) the row id for any malformed row; ``FileNotFoundError`` if
    the file does not exist.
    """
    p = Path(path) if path is not None else DEFAULT_SUITE_PATH
    items: list[SuiteItem] = []
    seen: dict[str, int] = {}
    with p.open("r", encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise _row_error(p, lineno, None, f"invalid JSON ({exc.msg})") from None
            items.append(_parse_row(p, lineno, obj, seen))
    if not items:
        raise ValueError(f"eval suite {p} contains no rows")
    return items


# ---------------------------------------------------------------------------
# Budget-filling texts
# ---------------------------------------------------------------------------

#: Deterministic pool of news-like sentences containing entities of the core
#: types. Lengths vary (4..~30 words) so a greedy fill can get close to a budget.
FILL_SENTENCES: tuple[str, ...] = (
    "Oslo welcomed the decision.",
    "Shares of Apex Robotics fell 3%.",
    "Maria Oyelaran flew to Lagos on Monday.",
    "Helios Biotech raised $40 million in March.",
    "Measles cases rose again in Hanoi.",
    "The Lisbon Marathon was postponed on Friday because of an influenza outbreak among volunteers.",
    "Northwind Analytics unveiled the StrataDB 5 database at the Northern Tech Expo in Vancouver on 12 May 2024.",
    "Dr. Kofi Mensah of the Pacific Health Alliance said the new malaria vaccine would cost about $3 per dose.",
    "On 3 March 2023, Bluefin Capital Partners agreed to buy Crescent Bank for €1.2 billion.",
    "Grace Kim, a spokesperson for Saffron Airlines, confirmed that flights between Istanbul and Chennai would resume in June.",
    "The World Health Organization reported 4,100 new cholera cases in Nairobi during the first week of April.",
    "Apex Robotics recalled 12,000 TerraBot mowers after a fire in Denver.",
    "Elena Castillo won the Berlin Film Festival's top prize on Saturday.",
    "Quantix Semiconductors will invest $2.5 billion in a new factory near Kraków, chief executive Łukasz Nowak told reporters on Tuesday.",
    "Tuberculosis remains the leading infectious killer in the region, according to a report released in Geneva on 24 March.",
    "Greenway Energy sold its Patagonia wind farms to Atlas Insurance Group for $610 million last year.",
    "Hundreds of fans queued overnight in Kyoto to buy the Quasar Q1 phone, which costs ¥98,000.",
    "Priya Raman, chief executive of Northwind Analytics, will speak at the Asia Fintech Week in Singapore on 7 November.",
    "Flooding in Montevideo forced organisers to cancel the Harvest Music Festival.",
    "Health officials in Cape Town warned of a rise in dengue fever after unusually heavy rains in January.",
    "Meridian Therapeutics said sales of its Cardiolex pill reached £310 million in 2024.",
    "Jean-Luc Moreau resigned from Solenne Group on 2 February.",
    "The European Robotics Forum opened in Rotterdam with a keynote by Sofia Lindqvist of Tessellate Labs, who demonstrated a warehouse robot that costs under €20,000.",
    "Vantage Mobility launched the Vela e-bike in Adelaide.",
    "Police in Marseille arrested two men suspected of stealing $75,000 worth of Lumen Pro headphones from a warehouse owned by BrightPath Logistics on Sunday night.",
    "A new clinic in Bogotá will screen 5,000 children for asthma each year, funded by a $1.1 million grant from Evergreen Foods.",
    "David Okafor joined Polaris Aerospace in 2019.",
    "The Global Climate Summit in Reykjavík ended on 15 December with a pledge of $100 billion.",
    "Amara Nwosu, a nurse in Lagos, said the Lyme disease warning came too late for many hikers.",
    "Cobalt Ridge Mining expects to spend A$85 million on safety upgrades at its mine in northern Queensland before the end of 2026.",
    "The Kestrel 7 laptop goes on sale in Chennai next week for ₹89,999.",
    "Owen Gallagher of Ironclad Security said hackers had targeted the Pacific Trade Forum website in Honolulu on 9 October.",
    "Saffron Airlines carried 2.3 million passengers in August.",
    "Chen Wei, a researcher at Riverbend University, linked hepatitis B infections in the study area to reused needles.",
    "Verdant Agritech won a $4.2 million contract from the city of Denver.",
    "Mikhail Sokolov finished third at the Winter Games in Tromsø on 20 February, earning a $15,000 bonus from his sponsor Orbit.",
    "Isabela Ferreira opened a FreshBox store in São Paulo.",
    "Nordlys Pharma began a trial of a Parkinson's disease drug in Bergen on 1 October 2025.",
    "The Monsoon Cup regatta drew 40,000 spectators to Hanoi.",
    "Hannah Whitfield paid £12,500 for a signed Zephyr EV poster at a charity auction in Bristol.",
)


def _check_token_count(n: object, text_len: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"count_tokens must return an int, got {type(n).__name__} for a {text_len}-char text")
    return n


def _fill_one(
    count_tokens: Callable[[str], int],
    limit: float,
    order: Sequence[str],
) -> str:
    """Greedily append pool sentences while the text stays within ``limit`` tokens.

    Sentences are tried in ``order`` (cycling through the pool as many times as
    needed); a sentence that would push the count over ``limit`` is skipped and
    the next one is tried. Stops when a full pass over the pool adds nothing,
    i.e. when adding any further sentence would exceed the budget.
    """
    parts: list[str] = []
    max_parts = max(1, int(limit)) * 4 + len(order)  # guard against a counter that never grows
    added = True
    while added and len(parts) < max_parts:
        added = False
        for sent in order:
            candidate = " ".join([*parts, sent])
            if _check_token_count(count_tokens(candidate), len(candidate)) <= limit:
                parts.append(sent)
                added = True
                if len(parts) >= max_parts:
                    break
    return " ".join(parts)


def fill_text(
    count_tokens: Callable[[str], int],
    limit: float,
    sentences: Sequence[str] = FILL_SENTENCES,
) -> str:
    """One text of at most ``limit`` tokens: ``sentences`` appended greedily, in order
    and cycling, each one skipped that would exceed the budget.

    What benchmarks and tests fill a graph's bucket with (``count_tokens`` is the
    model's token count of a text). Raises ``ValueError`` when no sentence fits.
    """
    text = _fill_one(count_tokens, limit, sentences)
    if not text:
        raise ValueError(f"no fill sentence fits in {limit:g} tokens")
    return text


def fill_texts(
    count_tokens: Callable[[str], int],
    seq_len: int,
    fractions: Iterable[float] = (0.5, 0.95),
    seed: int = 0,
) -> list[SuiteItem]:
    """Build texts that fill about ``fraction * seq_len`` tokens each.

    ``count_tokens(text) -> int`` is supplied by the caller (typically the model
    tokenizer's token count for the text). For every fraction, sentences from
    :data:`FILL_SENTENCES` (in an order shuffled deterministically from ``seed``,
    ``seq_len`` and the fraction) are appended until adding another one would
    exceed ``fraction * seq_len`` tokens. The result never exceeds the budget.

    Items get ids ``fill-<seq_len>-<percent>`` (e.g. ``fill-256-50``), category
    ``"fill"``, origin ``"generated:fill"`` and the 8 :data:`CORE_LABELS`.
    Raises ``ValueError`` for a bad ``seq_len``/fraction or when not even one
    sentence fits in the budget.
    """
    if isinstance(seq_len, bool) or not isinstance(seq_len, int) or seq_len <= 0:
        raise ValueError(f"seq_len must be a positive int, got {seq_len!r}")
    items: list[SuiteItem] = []
    seen: set[str] = set()
    for frac in fractions:
        if not (0.0 < float(frac) <= 1.0):
            raise ValueError(f"fraction must be in (0, 1], got {frac!r}")
        pct = int(round(float(frac) * 100))
        item_id = f"fill-{seq_len}-{pct}"
        if item_id in seen:
            raise ValueError(f"fractions produce duplicate id {item_id!r}")
        seen.add(item_id)
        rng = random.Random(int(seed) * 1_000_003 + seq_len * 1_009 + pct)
        order = list(FILL_SENTENCES)
        rng.shuffle(order)
        limit = float(frac) * seq_len
        text = _fill_one(count_tokens, limit, order)
        if not text:
            raise ValueError(
                f"no fill sentence fits in {limit:g} tokens (seq_len={seq_len}, fraction={frac})"
            )
        items.append(
            SuiteItem(
                id=item_id,
                category="fill",
                origin="generated:fill",
                text=text,
                labels=CORE_LABELS,
            )
        )
    return items
