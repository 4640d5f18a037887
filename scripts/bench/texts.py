"""What the benchmarks feed: labels, eval-suite prose, and the graphs' inputs built from upstream's tokenization."""

from __future__ import annotations

from upstream import adapter
from validate.suite import CORE_LABELS, DEFAULT_SUITE_PATH, fill_text, load_suite

# Realistic entity types, the first --num-labels of which are used everywhere (graphs pad to 25).
LABEL_POOL = CORE_LABELS + (
    "government agency",
    "job title",
    "city",
    "country",
    "company",
    "law",
    "drug",
    "vehicle",
    "email",
    "url",
    "phone number",
    "programming language",
    "chemical compound",
    "court case",
    "stock ticker",
    "nationality",
    "gene",
)


def suite_texts() -> list[str]:
    """The bundled eval suite's texts, whitespace collapsed: realistic prose with entities, ~11k words."""
    return [t for t in (" ".join(item.text.split()) for item in load_suite(DEFAULT_SUITE_PATH)) if t]


def first_words(splitter, text: str, n: int) -> str:
    """The prefix of `text` holding its first n words (cycling the text if it has fewer)."""
    while True:
        spans = list(splitter(text))
        if len(spans) >= n:
            return text[: spans[n - 1][2]]
        text = text + " " + text


def bucket_text(model, seq_len: int, fraction: float) -> str:
    """Eval-suite texts appended while upstream counts at most fraction * seq_len tokens (specials included)."""
    return fill_text(lambda t: adapter.count_text_tokens(model, t), fraction * seq_len, suite_texts())


def upstream_labels_inputs(model, labels: list[str], rows: int | None = None) -> dict:
    """A labels graph's [rows, 32] ids and mask (rows: max_types, or the bulk graph's 128), tokenized by the
    upstream labels tokenizer."""
    from common.inputs import build_labels_inputs

    tok = adapter.labels_tokenizer(model)
    return build_labels_inputs([tok(label)["input_ids"] for label in labels], tok("")["input_ids"],
                               rows or adapter.config(model).max_types)


def bulk_labels(n: int) -> list[str]:
    """n distinct entity types for the 128-row labels graph and the prompts graph: the pool, then the eval suite's
    own label sets in order (realistic words and lengths), then numbered types if those run out."""
    seen = dict.fromkeys(LABEL_POOL)
    for item in load_suite(DEFAULT_SUITE_PATH):
        seen.update(dict.fromkeys(item.labels))
    out = list(seen)[:n]
    return out + [f"entity type {i}" for i in range(n - len(out))]


def upstream_text_inputs(model, text: str, seq_len: int, embeds, pad_token_id: int):
    """The text graph's six arrays for `text` at S = seq_len (upstream words and tokens, no truncation)."""
    from common.inputs import build_text_inputs

    words = adapter.split_words(model, text)
    enc = adapter.text_tokenizer(model)(words, is_split_into_words=True, truncation=False)
    return build_text_inputs(
        list(enc["input_ids"]),
        list(enc.word_ids()),
        len(words),
        seq_len,
        adapter.config(model).max_width,
        embeds,
        pad_token_id=pad_token_id,
        max_types=adapter.config(model).max_types,
    )
