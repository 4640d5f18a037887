"""GLiNERLiteRT: text and labels in, entities out, as GLiNER.predict_entities; numpy, tokenizers and LiteRT only."""

from __future__ import annotations

import hashlib
import threading
import warnings
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from common.inputs import (
    LABELS_OUTPUT, PROMPTS_OUTPUT, SPANS_INPUTS, SPANS_OUTPUT, TEXT_OUTPUT, build_labels_inputs, build_text_inputs,
)
from common.variants import Precision
from runtime.artifacts import ArtifactError, Artifacts, Bucket
from runtime.bank import BankError, LabelBank, describe_identity
from runtime.decoding import decode_candidates, decode_spans
from runtime.scoring import SCORES_BUDGET_BYTES, score_candidates
from runtime.windows import Window, default_overlap, plan_smallest_buckets, stitch, stitch_spans, tokens_per_word
from runtime.words import split_words

ON_OVERFLOW = ("window", "truncate", "error")
_LABEL_CACHE_SIZE = 64


@dataclass(frozen=True)
class PreparedText:
    """Stage 1's result: one text split into words, with their offsets and the windows that cover them."""

    text: str
    words: list[str]
    starts: list[int]  # char offset of each word
    ends: list[int]  # char offset one past each word
    windows: list[Window]

    @property
    def num_words(self) -> int:
        return self.windows[-1].stop if self.windows else 0


@dataclass(frozen=True)
class GraphCall:
    """Stage 2's result: one text-graph call (one window, up to config.max_types labels) with its inputs built."""

    bucket: Bucket
    arrays: dict[str, np.ndarray]
    num_words: int  # words of the window
    num_labels: int  # labels of this group


class GLiNERLiteRT:
    """Torch-free GLiNER bi-encoder span NER over a converted artifacts folder.

    Safe to share between threads: each graph's calls are serialized (an interpreter holds its buffers
    between setting inputs and reading outputs), so threads overlap only in tokenizing, decoding and calls of
    different graphs. For parallel throughput open one instance per thread (each loads its own weights).
    """

    def __init__(self, artifacts: Artifacts, window_overlap: int | None = None, max_seq_len: int | None = None,
                 span_scoring: bool | None = None, scores_budget_bytes: int = SCORES_BUDGET_BYTES):
        """`span_scoring`: None (default): more than config.max_types labels run one pass of the labels-independent
        span graphs scored on the host, fewer the seed's logits graph, where the folder has both (a bundle); True:
        the span path for every label count; False: the seed's text graph, once per config.max_types labels.
        `scores_budget_bytes`: the most memory label scores take at once."""
        self.artifacts = artifacts
        self.config = artifacts.config
        self.precision = artifacts.precision
        # Upstream tokenizes with truncation=True at the tokenizer's model_max_length; the manifest's
        # max_valid_tokens already caps each bucket by it, so no text reaching a graph is ever cut by it.
        self.text_tokenizer = artifacts.tokenizer("text_tokenizer")
        self.labels_tokenizer = artifacts.tokenizer("labels_tokenizer")
        self._special_tokens = self.text_tokenizer.num_special_tokens_to_add(False)
        self._empty_label = self.labels_tokenizer.encode("").ids
        has_spans = artifacts.prompts_variant is not None and bool(artifacts.span_buckets)
        if span_scoring and not has_spans:
            raise ValueError(
                f"{artifacts.folder} has no {artifacts.precision} span graphs (text_spans_seq*, label_prompts): "
                "reconvert it as a bundle (`python -m convert ... --layout bundle`), or pass span_scoring=None"
            )
        self.span_scoring = has_spans if span_scoring is None else bool(span_scoring)
        self.scores_budget_bytes = int(scores_budget_bytes)
        # The seed's text graphs (build_calls) and, on the span path, the span graphs.
        self._text_buckets: list[Bucket] = _cap_buckets(artifacts.buckets, max_seq_len)
        self._span_buckets: list[Bucket] = _cap_buckets(artifacts.span_buckets, max_seq_len) if has_spans else []
        # Auto (span_scoring=None): up to max_types labels run the logits graph, whose span head is folded into
        # the labels (cheaper per text than span representations: at base S=128 73 vs 81 ms, BENCHMARKS-LABELS.md;
        # its output is [S, K, max_types], not [S, K, hidden]); more labels run one span-graph pass and score on
        # the host. Both equal
        # upstream. Auto needs the same buckets on both paths, as every bundle has.
        self._span_auto = (
            span_scoring is None and has_spans
            and [b.variant.seq_len for b in self._text_buckets] == [b.variant.seq_len for b in self._span_buckets]
        )
        self.buckets: list[Bucket] = (
            self._span_buckets if self.span_scoring and not self._span_auto else self._text_buckets
        )
        self.max_tokens = max(b.max_tokens for b in self.buckets)
        # Words one graph call takes: upstream's max_len, and no more span rows than the largest graph has.
        self.max_words = min(self.config.max_len, max(b.variant.seq_len for b in self.buckets))
        self.window_overlap = _check_overlap(window_overlap, self.config.max_width)
        self._label_cache: OrderedDict[tuple[str, ...], np.ndarray] = OrderedDict()
        self._prompt_cache: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._prompts_by_array: dict[int, tuple] = {}
        self._cache_lock = threading.Lock()
        self._truncating_tokenizer = None
        self._truncating_lock = threading.Lock()
        split_words("", self.config.words_splitter_type)  # refuse an unsupported splitter at load, not per call

    @classmethod
    def from_pretrained(
        cls, model_dir: str | Path, precision: str = "fp32", num_threads: int | None = None,
        window_overlap: int | None = None, cache_dir: str | Path | bool | None = None, load: str = "mmap",
        max_seq_len: int | None = None, span_scoring: bool | None = None,
    ) -> "GLiNERLiteRT":
        """Open a folder written by `python -m convert`.

        Args:
            model_dir: the artifacts folder (manifest.json, *.tflite, text_tokenizer/, labels_tokenizer/).
            precision: "fp32", "int8" or "int8w"; the folder must hold that precision's labels encoder and
                at least one text-encoder bucket.
            num_threads: LiteRT CPU threads per model file, 1 to MAX_THREADS (64); None: LiteRT's choice.
            window_overlap: words shared by neighbouring windows of a long text: an int >= 2 * max_width (the
                least that keeps every span at a seam whole); default 4 * max_width.
            cache_dir: where the XNNPACK weight cache goes (packed weights persisted: the next launch neither
                packs again nor pays a slow first call): None = `<model_dir>/.litert-cache` if writable, else
                ~/.cache/gliner-litert; a folder; False = no cache.
            load: "mmap" (default: the verified file is memory-mapped, page cache) or "copy" (the verified bytes
                are held in memory: immune to the file being overwritten in place, at the file's size in RSS).
            max_seq_len: use no bucket larger than this (None: every bucket). A longer text is then cut into
                overlapping windows of the largest allowed bucket: less memory per call (activations grow with
                S), at the cost of each window seeing less context (docs/RUNTIME.md, "Long texts").
            span_scoring: None (default): where the folder has the span graphs (a bundle does), more than
                config.max_types labels take one text pass scored on the host, fewer the seed's logits graph;
                True: the span path at every label count; False: the seed's text graph, once per max_types labels.
        """
        p = Precision.parse(precision) if isinstance(precision, str) else precision
        if not isinstance(p, Precision):
            raise ValueError(f"precision must be one of {', '.join(x.suffix for x in Precision)}, got {precision!r}")
        return cls(Artifacts(model_dir, p, num_threads, cache_dir=cache_dir, load=load), window_overlap=window_overlap,
                   max_seq_len=max_seq_len, span_scoring=span_scoring)

    # ------------------------------------------------------------------ labels

    def encode_labels(self, labels: Sequence[str]) -> np.ndarray:
        """Label embeddings [N, hidden] from the labels encoder (128 rows per call where the folder has the bulk
        graph, the rest config.max_types at a time); cached by the label tuple.

        Labels are tokenized with the saved labels tokenizer (its normalizer lowercases if the model's does),
        as upstream's `labels_tokenizer(labels, truncation=True)`; the graph holds 32 tokens per label, so a
        longer label is cut to its first 31 tokens plus the closing special token, with a warning.
        """
        return self._encode_labels(tuple(self._check_labels(labels)))

    def _encode_labels(self, key: tuple[str, ...]) -> np.ndarray:
        with self._cache_lock:
            hit = self._label_cache.get(key)
            if hit is not None:
                self._label_cache.move_to_end(key)
                return hit
        encs = [e.ids for e in self.labels_tokenizer.encode_batch(list(key))]
        limit = self.config.label_tokens
        too_long = [label for label, ids in zip(key, encs) if len(ids) > limit]
        if too_long:
            warnings.warn(
                f"{len(too_long)} label(s) exceed the labels encoder's {limit} tokens and are truncated "
                f"(upstream would encode them whole): {', '.join(repr(x) for x in too_long[:3])}",
                stacklevel=3,
            )
        out, g = [], 0
        per_call = self.config.max_types
        while g < len(encs):
            # The bulk graph for any group that would not fit the max_types-row one: 1,000 labels are 8 calls, not
            # 40 (at max_types 25).
            bulk = self.artifacts.bulk_labels_variant if len(encs) - g > per_call else None
            variant = bulk or self.artifacts.labels_variant
            rows = variant.component.label_rows(per_call)
            group = encs[g : g + rows]
            emb = self.artifacts.run(variant, build_labels_inputs(group, self._empty_label, rows))[LABELS_OUTPUT]
            out.append(np.asarray(emb[: len(group)], np.float32))
            g += len(group)
        embeds = np.concatenate(out, axis=0)
        embeds.setflags(write=False)
        with self._cache_lock:
            self._label_cache[key] = embeds
            if len(self._label_cache) > _LABEL_CACHE_SIZE:
                self._label_cache.popitem(last=False)
        return embeds

    def clear_label_cache(self) -> None:
        """Forget every cached label embedding and prompt: the next encode_labels runs the labels encoder again
        (what a call with new labels costs; benchmarks time it this way)."""
        with self._cache_lock:
            self._label_cache.clear()
            self._prompt_cache.clear()
            self._prompts_by_array.clear()

    def label_prompts(self, embeds: np.ndarray) -> np.ndarray:
        """The prompt vectors [N, hidden] span representations are scored against (upstream's prompt_rep on the
        label embeddings), from the prompts graph 128 rows per call; cached by the embeddings' bytes."""
        # The embeddings of encode_labels and of a bank are read-only arrays that own their data: the same object
        # holds the same values, so it is its own key (hashing 10,000 x 512 floats costs ~30 ms per text).
        owned = isinstance(embeds, np.ndarray) and not embeds.flags.writeable and embeds.base is None
        if owned:
            with self._cache_lock:
                hit = self._prompts_by_array.get(id(embeds))
                if hit is not None and hit[0]() is embeds:
                    return hit[1]
        emb = np.ascontiguousarray(embeds, dtype=np.float32)
        key = hashlib.blake2b(emb.tobytes(), digest_size=16).digest() + str(emb.shape).encode()
        with self._cache_lock:
            hit = self._prompt_cache.get(key)
            if hit is not None:
                self._prompt_cache.move_to_end(key)
                if owned:
                    self._remember_prompts(embeds, hit)
                return hit
        variant = self.artifacts.prompts_variant
        rows = variant.component.label_rows(self.config.max_types)
        out = []
        for g in range(0, emb.shape[0], rows):
            group = emb[g : g + rows]
            feed = np.zeros((rows, emb.shape[1]), np.float32)
            feed[: len(group)] = group
            out.append(np.asarray(self.artifacts.run(variant, {"labels_embeds": feed})[PROMPTS_OUTPUT][: len(group)],
                                  np.float32))
        prompts = np.concatenate(out, axis=0)
        prompts.setflags(write=False)
        with self._cache_lock:
            self._prompt_cache[key] = prompts
            if len(self._prompt_cache) > _LABEL_CACHE_SIZE:
                self._prompt_cache.popitem(last=False)
            if owned:
                self._remember_prompts(embeds, prompts)
        return prompts

    def _remember_prompts(self, embeds: np.ndarray, prompts: np.ndarray) -> None:
        """Under _cache_lock: prompts by the identity of a read-only embeddings array, forgotten with it."""
        key = id(embeds)
        self._prompts_by_array[key] = (weakref.ref(embeds, lambda _: self._prompts_by_array.pop(key, None)), prompts)

    # ------------------------------------------------------------------ label banks

    def build_bank(self, labels: Sequence[str]) -> LabelBank:
        """A LabelBank of `labels`: their embeddings from this model's labels encoder, with this model's weights
        sha256, precision and labels tokenizer sha256 (`bank.save(path)`; `load_bank(path)` later)."""
        labels = self._check_labels(labels)
        man = self.artifacts.manifest
        return LabelBank(tuple(labels), self._encode_labels(tuple(labels)), man.source["weights_sha256"],
                         self.precision.suffix, man.files["labels_tokenizer"].sha256)

    def load_bank(self, path) -> LabelBank:
        """A bank saved by `LabelBank.save`, refused unless this model (weights, precision, labels tokenizer)
        made it."""
        bank = LabelBank.load(path)
        self.check_bank(bank, str(path))
        try:
            self._check_labels(list(bank.labels))
        except ValueError as e:
            raise BankError(f"{path}: {e}") from None
        return bank

    def check_bank(self, bank: LabelBank, where: str = "the label bank") -> None:
        """Refuses a bank another model, precision or labels tokenizer made, naming both sides."""
        man = self.artifacts.manifest
        mine = {"weights_sha256": man.source["weights_sha256"], "precision": self.precision.suffix,
                "labels_tokenizer_sha256": man.files["labels_tokenizer"].sha256}
        differ = [k for k, v in mine.items() if getattr(bank, k) != v]
        if differ:
            raise BankError(
                f"{where} was made by another model or precision ({', '.join(differ)} differ): the bank has "
                f"{bank.describe()}; this model ({self.artifacts.folder}) has {describe_identity(**mine)}. Label embeddings "
                "only mean something to the model that made them: build the bank again with this model "
                "(`model.build_bank(labels)` or `python -m runtime --model DIR --labels-file FILE --save-bank BANK`)"
            )
        if bank.embeds.shape[1] != self.config.hidden_size:
            raise BankError(
                f"{where} holds {bank.embeds.shape[1]}-wide embeddings; this model's are {self.config.hidden_size} "
                "wide: build the bank again with this model"
            )

    def _check_labels(self, labels) -> list[str]:
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
            _check_unicode(label, f"label {i}")
        # Upstream silently keeps the first of exact duplicates (dict.fromkeys) and encodes labels that its
        # tokenizer normalizes to the same tokens ('person', 'Person', 'PERSON ') as separate types with one
        # embedding, so multi_label returns a span once per spelling. Either is a caller bug: refuse, comparing
        # token ids (what the model sees), not strings.
        by_ids: dict[tuple[int, ...], list[str]] = {}
        for label, enc in zip(labels, self.labels_tokenizer.encode_batch(list(labels))):
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

    # ------------------------------------------------------------------ prediction

    def predict_entities(
        self, text: str, labels: Sequence[str], threshold: float = 0.5, flat_ner: bool = True,
        multi_label: bool = False, on_overflow: str = "window",
    ) -> list[dict]:
        """Entities of one text: [{start, end, text, label, score}], char offsets, as GLiNER.predict_entities.

        Args:
            text: the text; empty or whitespace-only gives [].
            labels: distinct, non-empty entity types, any number (one text pass scores them all where the
                folder has the span graphs; else the seed's graph runs per config.max_types, 25 at base); or a
                LabelBank of this model.
            threshold: keep spans whose probability is > threshold, in (0, 1).
            flat_ner: no overlapping entities (True) or nested but never crossing (False).
            multi_label: allow several labels on the same span.
            on_overflow: a text over one graph call (more words than the model's max_len, or more tokens
                than the largest bucket holds): "window" (overlapping windows, merged), "truncate" (keep the
                words that fit, as upstream does for max_len, with a warning) or "error".
        """
        _check_options(threshold, on_overflow)
        labels, embeds = self._labels_and_embeds(labels)
        return self._predict(text, labels, embeds, threshold, flat_ner, multi_label, on_overflow)

    def _labels_and_embeds(self, labels) -> tuple[list[str], np.ndarray]:
        if isinstance(labels, LabelBank):
            self.check_bank(labels)
            return list(labels.labels), labels.embeds
        # Labels seen before were checked then (only checked labels enter the cache): 10,000 labels are
        # tokenized once, not on every text.
        if isinstance(labels, (list, tuple)) and all(type(x) is str for x in labels):
            key = tuple(labels)
            with self._cache_lock:
                hit = self._label_cache.get(key)
                if hit is not None:
                    self._label_cache.move_to_end(key)
                    return list(key), hit
        labels = self._check_labels(labels)
        return labels, self._encode_labels(tuple(labels))

    def batch_predict_entities(
        self, texts: Sequence[str], labels: Sequence[str], threshold: float = 0.5, flat_ner: bool = True,
        multi_label: bool = False, on_overflow: str = "window",
    ) -> list[list[dict]]:
        """predict_entities for each text with the same labels (encoded once). A bad text raises a ValueError
        that starts with its index, `texts[i]: ...`."""
        if isinstance(texts, str) or not isinstance(texts, (list, tuple)):
            raise ValueError(f"texts must be a list of strings, got {type(texts).__name__}")
        _check_options(threshold, on_overflow)
        labels, embeds = self._labels_and_embeds(labels)
        out = []
        for i, text in enumerate(texts):
            try:
                out.append(self._predict(text, labels, embeds, threshold, flat_ner, multi_label, on_overflow))
            except ArtifactError:
                raise  # the folder, not this text
            except ValueError as e:
                raise ValueError(f"texts[{i}]: {e}") from None
        return out

    def predict_with_embeds(
        self, text: str, labels_embeddings: np.ndarray, labels: Sequence[str], threshold: float = 0.5,
        flat_ner: bool = True, multi_label: bool = False, on_overflow: str = "window",
    ) -> list[dict]:
        """predict_entities with label embeddings from `encode_labels` (row i embeds labels[i])."""
        _check_options(threshold, on_overflow)
        labels = self._check_labels(labels)
        emb = np.asarray(labels_embeddings, dtype=np.float32)
        if emb.ndim != 2 or emb.shape != (len(labels), self.config.hidden_size):
            raise ValueError(
                f"labels_embeddings must have shape [{len(labels)}, {self.config.hidden_size}] (one row per label), "
                f"got {list(emb.shape)}; compute them with encode_labels(labels)"
            )
        bad = np.flatnonzero(~np.isfinite(emb).all(axis=1))
        if bad.size:
            raise ValueError(
                f"labels_embeddings row(s) {bad.tolist()} (label {labels[bad[0]]!r}, ...) hold NaN or inf: every score "
                "would be NaN and no entity found; compute them with encode_labels(labels)"
            )
        return self._predict(text, labels, emb, threshold, flat_ner, multi_label, on_overflow)

    def uses_span_path(self, num_labels: int) -> bool:
        """Whether `num_labels` labels run one span-graph pass scored on the host (else the logits graph, once per
        config.max_types labels)."""
        return self.span_scoring and (not self._span_auto or num_labels > self.config.max_types)

    def _predict(self, text, labels, embeds, threshold, flat_ner, multi_label, on_overflow) -> list[dict]:
        if not isinstance(text, str):
            raise ValueError(f"text must be a string, got {type(text).__name__}")
        if not text.strip():
            return []  # upstream's _filter_valid_texts
        _check_unicode(text, "text")
        prepared = self.prepare(text, on_overflow)
        if self.uses_span_path(len(labels)):
            prompts = self.label_prompts(embeds)
            reps = [self.window_spans(prepared, w) for w in prepared.windows]
            return self.decode_window_spans(prepared, reps, prompts, labels, threshold, flat_ner, multi_label)
        window_logits = [self.window_logits(self.build_calls(prepared, w, embeds)) for w in prepared.windows]
        return self.decode(prepared, window_logits, labels, threshold, flat_ner, multi_label)

    # ------------------------------------------------------------------ stages
    # predict_entities is exactly: prepare -> window_spans per window -> decode_window_spans (span scoring), or
    # prepare -> build_calls per window -> run_call per call -> decode (the seed's graphs, config.max_types labels per call).
    # They are public so benchmarks time the real pipeline, stage by stage.

    def prepare(self, text: str, on_overflow: str = "window") -> PreparedText:
        """Stage 1: words (upstream's splitter), their char offsets, and the windows covering them under the
        overflow policy. Tokenizes the whole text once to count tokens per word."""
        triples = split_words(text, self.config.words_splitter_type)
        words = [w for w, _, _ in triples]
        starts = [a for _, a, _ in triples]
        ends = [b for _, _, b in triples]
        enc = self.text_tokenizer.encode(words, is_pretokenized=True)
        counts = tokens_per_word(enc.word_ids, len(words))
        max_words = self.max_words
        n_tok = len(enc.ids)
        if len(words) <= max_words and n_tok <= self.max_tokens:
            return PreparedText(text, words, starts, ends, [Window(0, len(words), 0, len(words))])
        why = (
            f"the text has {len(words)} words and {n_tok} tokens; one graph call takes at most {max_words} words "
            f"(the model's max_len {self.config.max_len}, capped by the largest bucket) and {self.max_tokens} "
            f"tokens (the largest {self.precision.suffix} bucket)"
        )
        if on_overflow == "error":
            raise ValueError(
                f"{why}. Pass on_overflow='window' (overlapping windows) or 'truncate', or convert a larger "
                f"--seq-lens bucket"
            )
        if on_overflow == "truncate":
            keep, used = 0, self._special_tokens
            while keep < min(len(words), max_words) and used + counts[keep] <= self.max_tokens:
                used += counts[keep]
                keep += 1
            keep = max(keep, 1)
            # Upstream's UniEncoderSpanProcessor.preprocess_example warns the same way for max_len.
            warnings.warn(f"Sentence of length {len(words)} has been truncated to {keep} ({why})", stacklevel=4)
            return PreparedText(text, words[:keep], starts[:keep], ends[:keep], [Window(0, keep, 0, keep)])
        budgets = [(b.max_tokens, min(max_words, b.variant.seq_len)) for b in self.buckets]
        windows = plan_smallest_buckets(counts, self._special_tokens, budgets, self.window_overlap)
        return PreparedText(text, words, starts, ends, windows)

    def _encode_window(self, words: list[str], w: Window):
        enc = self.text_tokenizer.encode(words[w.start : w.stop], is_pretokenized=True)
        if len(enc.ids) > self.max_tokens:
            # Only a single word longer than the largest bucket gets here (plan_windows gives it a window
            # of its own): cut its tokens, keeping the special tokens, as a truncating tokenizer does.
            with self._truncating_lock:  # built once, configured before any thread can see it
                if self._truncating_tokenizer is None:
                    from tokenizers import Tokenizer

                    tok = Tokenizer.from_str(self.text_tokenizer.to_str())
                    tok.enable_truncation(max_length=self.max_tokens)
                    self._truncating_tokenizer = tok
            enc = self._truncating_tokenizer.encode(words[w.start : w.stop], is_pretokenized=True)
        return enc

    def _bucket(self, n_tok: int, n_words: int, buckets: list[Bucket] | None = None) -> Bucket:
        for b in buckets or self.buckets:  # sorted by seq_len: the smallest graph that holds the text
            if n_tok <= b.max_tokens and n_words <= b.variant.seq_len:
                return b
        raise ValueError(f"{n_tok} tokens / {n_words} words fit no bucket (largest holds {self.max_tokens} tokens)")

    def build_calls(self, prepared: PreparedText, window: Window, embeds: np.ndarray) -> list[GraphCall]:
        """Stage 2: tokenize one window, pick the smallest bucket that holds it, build one call per config.max_types
        labels."""
        enc = self._encode_window(prepared.words, window)
        n_words = window.stop - window.start
        bucket = self._bucket(len(enc.ids), n_words, self._text_buckets)
        calls = []
        per_call = self.config.max_types
        for g in range(0, embeds.shape[0], per_call):
            group = embeds[g : g + per_call]
            inputs = build_text_inputs(
                enc.ids, enc.word_ids, n_words, bucket.variant.seq_len, self.config.max_width, group,
                pad_token_id=self.config.text_pad_token_id, max_types=per_call,
            )
            calls.append(GraphCall(bucket, inputs.arrays, n_words, group.shape[0]))
        return calls

    def window_spans(self, prepared: PreparedText, window: Window) -> np.ndarray:
        """Stage 2 of span scoring: one window through the smallest span graph that holds it -> span
        representations [window words, max_width, hidden] (labels-independent)."""
        enc = self._encode_window(prepared.words, window)
        n_words = window.stop - window.start
        bucket = self._bucket(len(enc.ids), n_words, self._span_buckets)
        # The text graph's builder, fed no labels: the span graph takes its four word-level arrays.
        inputs = build_text_inputs(
            enc.ids, enc.word_ids, n_words, bucket.variant.seq_len, self.config.max_width,
            np.zeros((0, 1), np.float32), pad_token_id=self.config.text_pad_token_id, max_types=self.config.max_types,
        )
        out = self.artifacts.run(bucket.variant, {k: inputs.arrays[k] for k in SPANS_INPUTS})[SPANS_OUTPUT]
        return out[0, :n_words]

    def decode_window_spans(
        self, prepared: PreparedText, window_reps: list[np.ndarray], prompts: np.ndarray, labels: Sequence[str],
        threshold: float = 0.5, flat_ner: bool = True, multi_label: bool = False,
    ) -> list[dict]:
        """Stage 3 of span scoring: the spans decoding reads (each start from the window owning it) scored
        against every prompt on the host, in float32, at most scores_budget_bytes at once, then decoded as
        upstream; word indices mapped to char offsets."""
        reps, starts, widths = stitch_spans(window_reps, prepared.windows)
        rows, classes, probs = score_candidates(reps, prompts, threshold, self.scores_budget_bytes,
                                                best_label_only=not multi_label)
        spans = decode_candidates(starts[rows], widths[rows], classes, probs, prepared.num_words, labels,
                                  flat_ner=flat_ner, multi_label=multi_label)
        return self._entities(prepared, spans)

    def run_call(self, call: GraphCall) -> np.ndarray:
        """Stage 3: one text-graph call -> span logits [window words, max_width, labels of the group]."""
        logits = self.artifacts.run(call.bucket.variant, call.arrays)[TEXT_OUTPUT]
        return np.asarray(logits[0, : call.num_words, :, : call.num_labels], np.float32)

    def window_logits(self, calls: list[GraphCall]) -> np.ndarray:
        """Stage 3 over one window's calls: logits [window words, max_width, N labels]."""
        return np.concatenate([self.run_call(c) for c in calls], axis=2)

    def decode(
        self, prepared: PreparedText, window_logits: list[np.ndarray], labels: Sequence[str], threshold: float = 0.5,
        flat_ner: bool = True, multi_label: bool = False,
    ) -> list[dict]:
        """Stage 4: stitch the windows' logits, decode spans as upstream, map words to char offsets."""
        num_words = prepared.num_words
        logits = stitch(window_logits, prepared.windows, num_words)
        spans = decode_spans(logits, num_words, labels, threshold=threshold, flat_ner=flat_ner, multi_label=multi_label)
        return self._entities(prepared, spans)

    def _entities(self, prepared: PreparedText, spans) -> list[dict]:
        # gliner.model._map_entities_to_original: word indices -> char offsets of the original text.
        out = []
        for s, e, label, score in spans:
            a, b = prepared.starts[s], prepared.ends[e]
            out.append({"start": a, "end": b, "text": prepared.text[a:b], "label": label, "score": score})
        return out


def _cap_buckets(buckets: list[Bucket], max_seq_len) -> list[Bucket]:
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


def _check_options(threshold, on_overflow) -> None:
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float, np.floating)):
        raise ValueError(f"threshold must be a number in (0, 1), got {threshold!r}")
    if not 0.0 < float(threshold) < 1.0:
        raise ValueError(f"threshold must be in (0, 1) (exclusive), got {threshold}; 0.5 is the usual default")
    if on_overflow not in ON_OVERFLOW:
        raise ValueError(f"on_overflow must be one of {', '.join(ON_OVERFLOW)}, got {on_overflow!r}")


def _check_unicode(s: str, what: str) -> None:
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


def _check_overlap(window_overlap, max_width: int) -> int:
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
