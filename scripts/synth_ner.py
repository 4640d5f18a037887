"""Generates synthetic NER data (8 entity types, varied templates) for training the tiny-trained fixture.

Deterministic for a seed; stdlib only. Each example is {"text", "tokenized_text", "ner"} where ner holds
[start_word, end_word_inclusive, label] over the whitespace word splitter that gliner uses by default.
"""

from __future__ import annotations

import random
import re

LABELS = ["person", "organization", "location", "date", "product", "event", "disease", "money"]
WORD_RE = re.compile(r"\w+(?:[-_]\w+)*|\S")  # gliner's WhitespaceTokenSplitter

FIRST = ["John", "Maria", "Ahmed", "Li", "Sofia", "Pierre", "Anna", "Kenji", "Fatima", "Carlos", "Olga", "David",
         "Priya", "Lucas", "Emma", "Noah", "Chen", "Isabel", "Marco", "Aisha", "Tom", "Elena", "Yuki", "Omar",
         "Grace", "Hans", "Zoe", "Ivan", "Nadia", "Samuel"]
LAST = ["Smith", "Garcia", "Khan", "Wei", "Rossi", "Dubois", "Kowalski", "Tanaka", "Haddad", "Silva", "Ivanova",
        "Miller", "Patel", "Martin", "Johnson", "Brown", "Zhang", "Fernandez", "Bianchi", "Okafor", "Clark",
        "Petrova", "Sato", "Nasser", "Lee", "Schmidt", "Novak", "Popov", "Karimi", "O'Neil"]
ORGS = ["Acme Corp", "Globex", "Initech", "Umbrella Health", "Stark Industries", "Wayne Enterprises", "Hooli",
        "Northwind Traders", "Blue Harbor Bank", "the World Health Organization", "United Nations", "Tesla",
        "Siemens AG", "Red Cross", "Oxford University", "MIT", "Pinewood Labs", "Vertex Energy", "Orion Airlines",
        "the European Central Bank", "Helios Pharma", "Quantum Dynamics Inc.", "Greenfield Bank", "Nordic Rail"]
LOCS = ["Paris", "New York", "Tokyo", "Berlin", "São Paulo", "Cairo", "Sydney", "Toronto", "Mumbai", "Lagos",
        "Madrid", "Rome", "San Francisco", "Buenos Aires", "Seoul", "Nairobi", "Oslo", "Lake Geneva", "Texas",
        "the Alps", "Mexico City", "Hong Kong", "Cape Town", "Vienna", "Kraków", "Montréal"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
PRODUCTS = ["iPhone 15", "Galaxy S24", "Model 3", "PlayStation 5", "Windows 11", "Kindle Paperwhite", "ThinkPad X1",
            "Pixel 8", "Xbox Series X", "Surface Pro", "AirPods Pro", "Echo Dot", "MacBook Air", "Nova Phone X",
            "Zenith Drone", "Aqua Filter 200"]
EVENTS = ["the Olympic Games", "World War II", "the Super Bowl", "Expo 2030", "the World Cup", "Wimbledon",
          "the Paris Climate Summit", "Coachella", "the Tokyo Marathon", "the Nobel Prize ceremony",
          "the G20 summit", "Mobile World Congress", "the Berlin Film Festival", "CES 2025"]
DISEASES = ["diabetes", "malaria", "tuberculosis", "COVID-19", "influenza", "Alzheimer's disease", "asthma",
            "measles", "hepatitis B", "Parkinson's disease", "lung cancer", "cholera", "dengue fever",
            "multiple sclerosis", "HIV"]


def _date(r: random.Random) -> str:
    y = r.randint(1950, 2030)
    m = r.choice(MONTHS)
    d = r.randint(1, 28)
    return r.choice([f"{m} {d}, {y}", f"{d} {m} {y}", f"{m} {y}", f"{y}", f"{y}-{r.randint(1,12):02d}-{d:02d}"])


def _money(r: random.Random) -> str:
    n = r.choice([r.randint(1, 999), r.randint(1000, 99999)])
    return r.choice([f"${n}", f"${n} million", f"€{n}", f"{n} dollars", f"${n}.{r.randint(0,99):02d}",
                     f"{n} euros", f"£{n} billion"])


def _person(r: random.Random) -> str:
    f, l = r.choice(FIRST), r.choice(LAST)
    return r.choice([f"{f} {l}", f"{f} {l}", f"Dr. {l}", f"{f}", f"{f} {r.choice(FIRST)} {l}"])


SAMPLERS = {
    "person": _person,
    "organization": lambda r: r.choice(ORGS),
    "location": lambda r: r.choice(LOCS),
    "date": _date,
    "product": lambda r: r.choice(PRODUCTS),
    "event": lambda r: r.choice(EVENTS),
    "disease": lambda r: r.choice(DISEASES),
    "money": _money,
}

TEMPLATES = [
    "{person} joined {organization} in {location} on {date} .",
    "{organization} announced that {person} will lead its office in {location} .",
    "On {date} , {person} paid {money} for a {product} in {location} .",
    "{person} was diagnosed with {disease} after returning from {event} .",
    "The {product} launched by {organization} costs {money} .",
    "During {event} in {location} , {person} met {person} .",
    "{organization} invested {money} to fight {disease} in {location} .",
    "Researchers at {organization} say {disease} cases rose in {location} since {date} .",
    "{person} , CEO of {organization} , unveiled the {product} at {event} .",
    "Tickets for {event} sold out on {date} , according to {organization} .",
    "In {location} , {disease} remains a major concern , said {person} of {organization} .",
    "{person} bought a {product} for {money} on {date} .",
    "{organization} fined {organization} {money} on {date} .",
    "{person} and {person} traveled from {location} to {location} for {event} .",
    "A new vaccine against {disease} was approved in {location} on {date} .",
    "Shares of {organization} fell after the {product} recall ; losses reached {money} .",
    "{event} will take place in {location} in {date} .",
    "{person} works for {organization} .",
    "{disease} outbreak reported in {location} .",
    "Sales of the {product} topped {money} in {location} .",
    "Yesterday {person} {organization} {location} .",
    "{location} {date} : {person} ( {organization} ) donated {money} to study {disease} .",
    "Met {person} at {event} ; she now uses a {product} daily .",
    "Report from {organization} : {money} spent on {disease} research in {date} .",
    "{person} said the {product} is banned in {location} .",
    "Flights to {location} were cancelled during {event} on {date} .",
]

# Filler vocabulary so the tokenizers see ordinary text, other scripts and symbols.
EXTRA_CORPUS = [
    "the quick brown fox jumps over the lazy dog", "state-of-the-art well_known e-mail x_y", "123 4567 89.5 3,000",
    "café naïve résumé Zürich Ångström", "北京 上海 东京 日本語 中文", "مرحبا بالعالم", "😀 🎉 🚀 👍", "hello@example.com",
    "https://example.org/path?q=1", "def foo(x): return x + 1", "Привет мир", "γειά σου κόσμε",
] + ["email", "url", "phone number", "programming language", "chemical compound", "law", "court case",
     "stock ticker", "job title", "nationality", "vehicle", "drug", "gene", "protein", "city", "country", "company"]


def make_example(r: random.Random) -> dict:
    """One example: 1-3 templates joined, entity spans on word indices."""
    parts = [r.choice(TEMPLATES) for _ in range(r.choice([1, 1, 2, 3]))]
    text, char_spans = "", []
    for t in parts:
        piece, spans = _fill(t, r)
        off = len(text) + (1 if text else 0)
        text = f"{text} {piece}" if text else piece
        char_spans += [(s + off, e + off, lab) for s, e, lab in spans]
    words = [(m.group(), m.start(), m.end()) for m in WORD_RE.finditer(text)]
    start_of = {s: i for i, (_, s, _) in enumerate(words)}
    end_of = {e: i for i, (_, _, e) in enumerate(words)}
    ner = [[start_of[s], end_of[e], lab] for s, e, lab in char_spans if s in start_of and e in end_of]
    return {"text": text, "tokenized_text": [w for w, _, _ in words], "ner": ner}


def _fill(template: str, r: random.Random) -> tuple[str, list[tuple[int, int, str]]]:
    text, spans, pos = "", [], 0
    for m in re.finditer(r"\{(\w+)\}", template):
        lit = template[pos:m.start()]
        text += lit
        label = m.group(1)
        value = SAMPLERS[label](r)
        spans.append((len(text), len(text) + len(value), label))
        text += value
        pos = m.end()
    text += template[pos:]
    return text, spans


def generate(n: int, seed: int) -> list[dict]:
    r = random.Random(seed)
    return [make_example(r) for _ in range(n)]


def tokenizer_corpus() -> list[str]:
    """The fixed corpus the tiny tokenizers are trained on (changing it changes the fixtures)."""
    texts = [ex["text"] for ex in generate(3000, seed=1234)]
    pools = FIRST + LAST + ORGS + LOCS + MONTHS + PRODUCTS + EVENTS + DISEASES + LABELS
    return texts + pools + EXTRA_CORPUS * 20
