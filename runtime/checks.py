"""The runtime's argument checks: each refuses bad input with a ValueError that names the problem and the fix."""

from __future__ import annotations

import numpy as np

from runtime.windows import default_overlap

ON_OVERFLOW = ("window", "truncate", "error")


def check_options(threshold, on_overflow, flat_ner=True, multi_label=False) -> None:
    check_bool(flat_ner, "flat_ner")
    check_bool(multi_label, "multi_label")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float, np.floating)):
        raise ValueError(f"threshold must be a number in (0, 1), got {threshold!r}")
    if not 0.0 < float(threshold) < 1.0:
        raise ValueError(f"threshold must be in (0, 1) (exclusive), got {threshold}; 0.5 is the usual default")
    if on_overflow not in ON_OVERFLOW:
        raise ValueError(f"on_overflow must be one of {', '.join(ON_OVERFLOW)}, got {on_overflow!r}")


def check_unicode(s: str, what: str) -> None:
    """Refuse lone surrogates ('\\ud800'): not valid Unicode, and the tokenizers cannot take them (a TypeError
    from deep inside). They come from bytes decoded with errors='surrogateescape' or from broken UTF-16."""
    if s.isascii():
        return
    try:
        s.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ValueError(
            f"{what} holds a lone surrogate {s[e.start]!r} (U+{ord(s[e.start]):04X}) at character {e.start}: not valid "
            "Unicode, so it cannot be tokenized. Decode the source bytes as UTF-8 correctly, or replace surrogates "
            "one for one (offsets unchanged): s.encode('utf-8', 'replace').decode('utf-8')"
        ) from None


def check_labels(labels, labels_tokenizer) -> list[str]:
    """The labels as a list: strings, non-blank, valid Unicode, and distinct to the labels encoder."""
    if isinstance(labels, str):
        labels = [labels]  # as upstream: a single label may be passed as a string
    if isinstance(labels, dict) or not isinstance(labels, (list, tuple)):
        raise ValueError(f"labels must be a list of strings, got {type(labels).__name__}")
    if not labels:
        raise ValueError("no labels given: pass at least one entity type, e.g. ['person', 'organization']")
    for i, label in enumerate(labels):
        if not isinstance(label, str):
            raise ValueError(f"label {i} is a {type(label).__name__} ({label!r}); every label must be a string")
        if not label.strip():
            raise ValueError(f"label {i} is empty or whitespace ({label!r}); remove it or name the entity type")
        check_unicode(label, f"label {i}")
    # Upstream silently keeps the first of exact duplicates (dict.fromkeys) and encodes labels that its
    # tokenizer normalizes to the same tokens ('person', 'Person', 'PERSON ') as separate types with one
    # embedding, so multi_label returns a span once per spelling. Either is a caller bug: refuse, comparing
    # token ids (what the model sees), not strings.
    by_ids: dict[tuple[int, ...], list[str]] = {}
    for label, enc in zip(labels, labels_tokenizer.encode_batch(list(labels))):
        by_ids.setdefault(tuple(enc.ids), []).append(label)
    same = [group for group in by_ids.values() if len(group) > 1]
    if same:
        exact = [g[0] for g in same if len(set(g)) == 1]
        if exact:
            raise ValueError(f"duplicate label(s) {sorted(exact)}; pass each entity type once")
        raise ValueError(
            "duplicate label(s) for the model: "
            + "; ".join(" and ".join(repr(x) for x in g) for g in same)
            + " are one entity type to the labels encoder (its tokenizer maps them to the same tokens: letter "
            "case, accents, surrounding spaces, or characters its vocabulary lacks); pass each entity type once"
        )
    return list(labels)


def check_embeds(emb: np.ndarray, labels: list[str], hidden: int) -> None:
    """Label embeddings given by the caller (predict_with_embeds): one finite row of `hidden` per label."""
    if emb.ndim != 2 or emb.shape != (len(labels), hidden):
        raise ValueError(
            f"labels_embeddings must have shape [{len(labels)}, {hidden}] (one row per label), "
            f"got {list(emb.shape)}; compute them with encode_labels(labels)"
        )
    bad = np.flatnonzero(~np.isfinite(emb).all(axis=1))
    if bad.size:
        raise ValueError(
            f"labels_embeddings row(s) {bad.tolist()} (label {labels[bad[0]]!r}, ...) hold NaN or inf: every score "
            "would be NaN and no entity found; compute them with encode_labels(labels)"
        )


def check_overlap(window_overlap, max_width: int) -> int:
    """window_overlap as given, or the default; at least 2 * max_width, the least that keeps every span whose
    start a window owns inside that window (runtime/windows.py), so no entity is lost at a seam."""
    if window_overlap is None:
        return default_overlap(max_width)
    least = 2 * max_width
    if isinstance(window_overlap, bool) or not isinstance(window_overlap, (int, np.integer)) or window_overlap < least:
        raise ValueError(
            f"window_overlap must be a whole number of words >= {least} (2 * config.max_width {max_width}: less "
            f"loses entities at window seams), got {window_overlap!r}; leave it None for the default "
            f"{default_overlap(max_width)}"
        )
    return int(window_overlap)


def cap_buckets(buckets: list, max_seq_len) -> list:
    """The buckets at or below max_seq_len (None: all of them)."""
    if max_seq_len is None:
        return list(buckets)
    if isinstance(max_seq_len, bool) or not isinstance(max_seq_len, int) or max_seq_len < 1:
        raise ValueError(f"max_seq_len must be a positive int (a bucket size) or None, got {max_seq_len!r}")
    kept = [b for b in buckets if b.variant.seq_len <= max_seq_len]
    if not kept:
        raise ValueError(
            f"max_seq_len {max_seq_len} is below the smallest bucket ({buckets[0].variant.seq_len}); pass one of the "
            f"buckets {', '.join(str(b.variant.seq_len) for b in buckets)} or None"
        )
    return kept


def check_finite_scores(scores: np.ndarray, embeds: np.ndarray, labels=None) -> None:
    """Scores that are not all finite: label embeddings far outside what a labels encoder gives (a bank or
    predict_with_embeds rows of 3e38) overflow float32 and would decode to no entity, silently."""
    if np.isfinite(scores).all():
        return
    emb = np.abs(np.asarray(embeds, np.float32).reshape(len(embeds), -1))
    row = int(emb.max(axis=1).argmax()) if emb.size else 0
    which = f" (label {labels[row]!r})" if labels is not None and row < len(labels) else ""
    raise ValueError(
        f"the scores of this text overflow float32 (non-finite logits): label embeddings (or their prompts) reach {float(emb.max()):.3g} "
        f"in row {row}{which}, far beyond what a labels encoder gives, so no entity could be found. Use embeddings "
        "from this model's encode_labels or a bank it built"
    )


def check_bool(value, name: str) -> None:
    """flat_ner and multi_label are flags: the string 'False' is truthy and would silently mean True."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r} ({type(value).__name__})")
