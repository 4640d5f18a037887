"""Property-based fuzz of the runtime (hypothesis): any unicode text, any label set; only documented ValueErrors,
no NaN, offsets inside the text, entity text equal to its slice; and, where upstream can take the text, its
entities. A few hundred examples here (derandomized: the same each run); `make fuzz` runs 10,000, random."""

from __future__ import annotations

import math
import os
import re
import warnings

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.conftest import load_gliner
from tests.runtime_helpers import CORE_LABELS, LABELS_30, SCORE_TOL, diff

# Tests may read the environment (library code never does): `make fuzz` sets it.
EXAMPLES = int(os.environ.get("GLINER_FUZZ_EXAMPLES", "500"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize="GLINER_FUZZ_EXAMPLES" not in os.environ,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], print_blob=True)

# The refusals docs/RUNTIME.md lists for text and labels; any other exception is a bug.
DOCUMENTED = {
    "surrogate": re.compile(r"holds a lone surrogate"),
    "duplicate": re.compile(r"^duplicate label\(s\)"),
    "blank": re.compile(r"^label \d+ is empty or whitespace"),
}
WHITESPACE = [c for c in map(chr, range(0x3001)) if c.isspace()] + ["\u200b", "\u2060", "\ufeff"]
CONTROL = [chr(c) for c in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]]
COMBINING = ["\u0301", "\u0308", "\u0327", "\u20dd", "\u0e49", "\u093f", "\u302a", "\ufe0f", "\u200d", "\U0001f3fd"]
WORDS = ["Maria Garcia", "Acme Corp", "Paris", "Lagos", "Dr. Tanaka", "on Monday", "3 May 2021", "$40 million",
         "Globex", "Zürich-based", "Helios Pharma", "東京", "Jean-Pierre", "São Paulo", "e-mail", "3%", "Galaxy S24"]

piece = st.one_of(
    st.sampled_from(WORDS), st.sampled_from(WORDS), st.sampled_from(WORDS),  # weighted: texts with entities
    st.text(st.characters(exclude_categories=["Cs"]), max_size=6),  # any code point but surrogates
    st.sampled_from(WHITESPACE),
    st.sampled_from(CONTROL),
    st.tuples(st.sampled_from("aeoAZ"), st.lists(st.sampled_from(COMBINING), min_size=1, max_size=3)).map(
        lambda t: t[0] + "".join(t[1])),
)


separator = st.one_of(st.just(" "), st.just(""), st.sampled_from(WHITESPACE))


@st.composite
def texts(draw) -> str:
    text = "".join(p + sep for p, sep in draw(st.lists(st.tuples(piece, separator), max_size=40)))
    if draw(st.integers(0, 9)) == 5:  # not 0: hypothesis favours the bounds
        text = " ".join([text + " Maria Garcia met Acme Corp in Paris."] * draw(st.integers(60, 150)))  # windows
    if draw(st.integers(0, 9)) == 5:  # not 0: hypothesis favours the bounds
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.characters(categories=["Cs"])) + text[at:]
    return text


@st.composite
def label_sets(draw) -> list[str]:
    labels = draw(st.lists(st.sampled_from(LABELS_30), min_size=1, max_size=30, unique=True))
    if draw(st.integers(0, 5)) == 3:  # a label of any text: a surrogate, [UNK]s, a case variant, blank
        extra = draw(st.one_of(st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=8),
                               st.characters(categories=["Cs"]).map(lambda c: "place" + c),
                               st.sampled_from(labels).map(str.upper), st.sampled_from(["", *WHITESPACE])))
        labels.insert(draw(st.integers(0, len(labels))), extra)
    return labels


@pytest.fixture(scope="module")
def rt(tiny_trained_artifacts):
    from runtime import GLiNERLiteRT

    return GLiNERLiteRT.from_pretrained(tiny_trained_artifacts, "fp32", num_threads=1)


def _has_surrogate(s: str) -> bool:
    return any(0xD800 <= ord(c) <= 0xDFFF for c in s)


def _why_refused(rt, text: str, labels: list[str]) -> set[str]:
    """The documented reasons this input may be refused for, found without the runtime's checks."""
    why = set()
    if any(_has_surrogate(x) for x in labels) or (text.strip() and _has_surrogate(text)):
        why.add("surrogate")
    if any(not x.strip() for x in labels):
        why.add("blank")
    clean = [x for x in labels if not _has_surrogate(x)]
    if len({tuple(rt.labels_tokenizer.encode(x).ids) for x in clean}) < len(clean):
        why.add("duplicate")
    return why


def _check_entities(text: str, labels: list[str], ents: list[dict], threshold: float, flat_ner: bool) -> None:
    for e in ents:
        assert 0 <= e["start"] < e["end"] <= len(text), e
        assert text[e["start"] : e["end"]] == e["text"], e
        assert e["label"] in labels, e
        assert math.isfinite(e["score"]) and threshold < e["score"] <= 1.0, e
    assert [e["start"] for e in ents] == sorted(e["start"] for e in ents)
    if flat_ner:  # no two spans share a character (multi_label: the same span may carry several labels)
        spans = sorted({(e["start"], e["end"]) for e in ents})
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:])), spans


@FUZZ
@given(text=texts(), labels=label_sets(), threshold=st.floats(0.05, 0.95), flat_ner=st.booleans(),
       multi_label=st.booleans())
def test_any_text_and_labels(rt, text, labels, threshold, flat_ner, multi_label):
    why = _why_refused(rt, text, labels)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a label over 32 tokens warns; not the subject here
            ents = rt.predict_entities(text, labels, threshold=threshold, flat_ner=flat_ner, multi_label=multi_label)
    except ValueError as e:
        kind = next((k for k, pattern in DOCUMENTED.items() if pattern.search(str(e))), None)
        assert kind is not None, f"undocumented ValueError: {e}"
        assert kind in why, f"refused for {kind} but the input has no such problem: {e}"
        event(f"refused: {kind}")
        return
    assert not why, f"accepted an input with {why}"
    _check_entities(text, labels, ents, threshold, flat_ner)
    event("tagged: " + ("windows" if len(rt.prepare(text).windows) > 1 else "one call")
          + (", entities" if ents else ", none"))


@settings(FUZZ, max_examples=max(EXAMPLES // 3, 50))
@given(text=texts(), labels=st.lists(st.sampled_from(CORE_LABELS), min_size=1, max_size=8, unique=True))
def test_any_text_equals_upstream(rt, tiny_trained_dir, text, labels):
    """Texts upstream can take (no surrogate, within one call): the same entities."""
    from runtime.words import split_words

    if _has_surrogate(text):
        return  # refused by the runtime (tested above); upstream raises a TypeError
    words = [w for w, _, _ in split_words(text)]
    if len(words) > rt.max_words or len(rt.text_tokenizer.encode(words, is_pretokenized=True).ids) > rt.max_tokens:
        return  # windows: not upstream's single pass
    want = load_gliner(str(tiny_trained_dir)).predict_entities(text, labels, threshold=0.3)
    event("compared: entities" if want else "compared: none")
    got = rt.predict_entities(text, labels, threshold=0.3)
    problems, d = diff(want, got, text)
    assert not problems, problems
    assert d <= SCORE_TOL
