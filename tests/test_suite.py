"""Tests for the bundled evaluation suite (validate/suite.py + its JSONL file)."""

from __future__ import annotations

import ast
import dataclasses
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from validate.suite import MAX_LABELS  # noqa: E402
from validate.suite import (  # noqa: E402
    CATEGORIES,
    CORE_LABELS,
    DEFAULT_SUITE_PATH,
    SuiteItem,
    fill_texts,
    load_suite,
)

GENERATOR = ROOT / "scripts" / "make_eval_suite.py"


@pytest.fixture(scope="module")
def suite() -> list[SuiteItem]:
    return load_suite()


def words(text: str) -> int:
    return len(text.split())


# --------------------------------------------------------------------------- bundled file


def test_bundled_suite_loads(suite):
    assert len(suite) >= 200
    assert all(isinstance(it, SuiteItem) for it in suite)
    assert len({it.id for it in suite}) == len(suite)
    for it in suite:
        assert isinstance(it.labels, tuple)
        assert it.text.strip(), it.id
        assert it.id.startswith(f"{it.category}-"), it.id
    # explicit path gives the same result as the default
    assert load_suite(DEFAULT_SUITE_PATH) == suite


def test_suite_item_is_frozen(suite):
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'text'"):
        suite[0].text = "changed"  # type: ignore[misc]


def test_every_category_present(suite):
    counts = Counter(it.category for it in suite)
    assert set(counts) == set(CATEGORIES)
    for cat in CATEGORIES:
        assert counts[cat] >= 10, (cat, counts[cat])


def test_origins(suite):
    origins = Counter(it.origin for it in suite)
    handwritten = origins["handwritten"]
    templated = sum(n for o, n in origins.items() if o.startswith("template:"))
    assert handwritten >= 60
    assert templated >= 60
    assert handwritten + templated == len(suite)
    assert all(o == "handwritten" or (o.startswith("template:") and len(o) > 9) for o in origins)
    # every category has both kinds of rows
    for cat in CATEGORIES:
        kinds = {it.origin.split(":")[0] for it in suite if it.category == cat}
        assert kinds == {"handwritten", "template"}, cat


def test_label_count_span(suite):
    counts = Counter(len(it.labels) for it in suite)
    assert min(counts) == 1
    assert max(counts) == MAX_LABELS
    assert set(range(1, MAX_LABELS + 1)) <= set(counts)


def test_multiword_and_long_labels(suite):
    all_labels = {lab for it in suite for lab in it.labels}
    multi = {lab for lab in all_labels if len(lab.split()) > 1 and len(lab.split()) < 10}
    assert len(multi) >= 10, sorted(multi)
    # > 32 word-pieces is guaranteed by >= 40 whitespace words
    long_labels = {lab for lab in all_labels if len(lab.split()) >= 40}
    assert len(long_labels) >= 3


def test_core_labels_dominate(suite):
    core = set(CORE_LABELS)
    mostly_core = [it for it in suite if len(core & set(it.labels)) >= 5]
    assert len(mostly_core) / len(suite) >= 0.70
    for lab in CORE_LABELS:
        assert sum(lab in it.labels for it in suite) >= 100, lab


def test_text_length_range(suite):
    wc = [words(it.text) for it in suite]
    assert min(wc) == 1
    assert max(wc) >= 300
    multi_para = [it for it in suite if "\n\n" in it.text and words(it.text) >= 300]
    assert len(multi_para) >= 3
    assert any(it.origin == "handwritten" for it in multi_para)


def test_edge_cases_present(suite):
    edge = [it.text for it in suite if it.category == "edge"]
    assert any(words(t) == 1 for t in edge)
    assert any(t.strip() and not any(ch.isalnum() for ch in t) for t in edge)  # punctuation only
    assert any(max(len(w) for w in t.split()) >= 300 for t in edge)  # very long single token
    assert any("\t" in t and "\n\n" in t and "   " in t for t in edge)  # whitespace runs
    assert any(t.count("-") >= 5 for t in edge)  # hyphenated compounds


def test_multilingual_scripts(suite):
    text = " ".join(it.text for it in suite if it.category == "multilingual")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text)  # CJK
    assert any("\u0600" <= ch <= "\u06ff" for ch in text)  # Arabic
    assert any(ord(ch) >= 0x1F300 for ch in text)  # emoji
    assert any(ch in "éèüöåñçã" for ch in text)  # accents


def test_bundled_file_is_canonical_jsonl():
    raw = DEFAULT_SUITE_PATH.read_bytes()
    assert raw.endswith(b"\n") and b"\r" not in raw
    for line in raw.decode("utf-8").splitlines():
        obj = json.loads(line)
        assert list(obj) == ["id", "category", "origin", "text", "labels"]


# --------------------------------------------------------------------------- generator


def test_generator_reproduces_committed_file(tmp_path):
    out = tmp_path / "suite.jsonl"
    proc = subprocess.run(
        [sys.executable, str(GENERATOR), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes() == DEFAULT_SUITE_PATH.read_bytes(), (
        "validate/suite/eval_suite_v1.jsonl differs from the generator's output: a change to "
        "scripts/make_eval_suite.py or scripts/eval_suite_data/ changes the suite (new version)"
    )


# --------------------------------------------------------------------------- fill_texts


@pytest.mark.parametrize("seq_len", [128, 256, 384, 512, 1024, 2048])
def test_fill_texts_whitespace_counter(seq_len):
    items = fill_texts(words, seq_len)
    assert [it.id for it in items] == [f"fill-{seq_len}-50", f"fill-{seq_len}-95"]
    half, full = items
    for it in items:
        assert it.category == "fill"
        assert it.origin == "generated:fill"
        assert it.labels == CORE_LABELS
        assert words(it.text) <= seq_len
    r_half = words(half.text) / seq_len
    r_full = words(full.text) / seq_len
    assert 0.40 <= r_half <= 0.50, r_half
    assert 0.90 <= r_full <= 0.95, r_full


def test_fill_texts_deterministic_and_seeded():
    a = fill_texts(words, 512)
    assert a == fill_texts(words, 512)
    assert a != fill_texts(words, 512, seed=1)
    custom = fill_texts(words, 300, fractions=(0.25,))
    assert [it.id for it in custom] == ["fill-300-25"]
    assert words(custom[0].text) <= 75


def test_fill_texts_never_exceeds_nonadditive_counter():
    # a counter with fixed overhead (like [CLS]/[SEP]) and ~1.3 pieces per word
    def pieces(text: str) -> int:
        return 2 + sum(1 + len(w) // 7 for w in text.split())

    for seq_len in (96, 384, 1000):
        for it, frac in zip(fill_texts(pieces, seq_len), (0.5, 0.95)):
            n = pieces(it.text)
            assert n <= frac * seq_len
            assert n >= frac * seq_len - 15


def test_fill_texts_errors():
    with pytest.raises(ValueError, match="seq_len must be a positive int, got 0"):
        fill_texts(words, 0)
    with pytest.raises(ValueError, match=r"fraction must be in \(0, 1\], got 1.5"):
        fill_texts(words, 128, fractions=(1.5,))
    with pytest.raises(ValueError, match="duplicate id 'fill-128-50'"):
        fill_texts(words, 128, fractions=(0.5, 0.501))
    with pytest.raises(ValueError, match="no fill sentence fits"):
        fill_texts(words, 4, fractions=(0.5,))


def _imported_modules(path: Path) -> set[str]:
    mods = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            mods |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            mods.add(node.module)
    return mods


def test_suite_module_is_pure_stdlib():
    # validate/suite.py may import the shared vocabulary (common.*) as long as that is stdlib-only too
    stdlib = set(sys.stdlib_module_names)
    suite_mods = _imported_modules(ROOT / "validate" / "suite.py")
    assert {m.split(".")[0] for m in suite_mods} <= stdlib | {"common"}, suite_mods
    for mod in sorted(m for m in suite_mods if m.startswith("common.")):
        deps = {m.split(".")[0] for m in _imported_modules(ROOT / (mod.replace(".", "/") + ".py"))}
        assert deps <= stdlib, (mod, deps - stdlib)


# --------------------------------------------------------------------------- loader validation

GOOD = {"id": "x-001", "category": "news", "origin": "handwritten", "text": "Hi", "labels": ["person"]}


def _write(tmp_path: Path, rows: list) -> Path:
    p = tmp_path / "bad.jsonl"
    lines = [r if isinstance(r, str) else json.dumps(r) for r in rows]
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


@pytest.mark.parametrize(
    "bad, pattern",
    [
        ({**GOOD, "id": "bad-1", "labels": []}, r":2 \(id 'bad-1'\).*non-empty list"),
        ({**GOOD, "id": "bad-2", "labels": "person"}, r":2 \(id 'bad-2'\).*non-empty list"),
        ({**GOOD, "id": "bad-3", "labels": ["person", "person"]}, r"id 'bad-3'.*duplicate label"),
        ({**GOOD, "id": "bad-4", "labels": ["person", ""]}, r"id 'bad-4'.*label"),
        (
            {**GOOD, "id": "bad-5", "labels": [f"l{i}" for i in range(MAX_LABELS + 1)]},
            rf"id 'bad-5'.*{MAX_LABELS + 1} labels, at most {MAX_LABELS} allowed",
        ),
        ({**GOOD, "id": "bad-6", "text": None}, r"id 'bad-6'.*'text' must be a string"),
        ({**GOOD, "id": ""}, r":2: 'id' must be a non-empty string"),
        ({**GOOD, "id": "x-001"}, r":2 \(id 'x-001'\).*duplicate id \(first seen on line 1\)"),
        ({k: v for k, v in GOOD.items() if k != "labels"} | {"id": "bad-9"}, r"id 'bad-9'.*missing"),
        ('{"id": "bad-10", "text": ', r":2: invalid JSON"),
        ("[1, 2]", r":2: expected a JSON object"),
        ({**GOOD, "id": "bad-12", "labels": ["person", 3]}, r"id 'bad-12'.*label 3"),
    ],
)
def test_loader_rejects_malformed_rows(tmp_path, bad, pattern):
    path = _write(tmp_path, [GOOD, bad])
    with pytest.raises(ValueError, match=pattern) as exc:
        load_suite(path)
    assert str(path) in str(exc.value)


def test_loader_accepts_valid_file_and_skips_blank_lines(tmp_path):
    path = _write(tmp_path, [GOOD, "", {**GOOD, "id": "x-002", "labels": ["a", "b c"]}])
    items = load_suite(path)
    assert [it.id for it in items] == ["x-001", "x-002"]
    assert items[1].labels == ("a", "b c")


def test_loader_rejects_empty_file(tmp_path):
    p = tmp_path / "empty.jsonl"
    p.write_text("\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no rows"):
        load_suite(p)
