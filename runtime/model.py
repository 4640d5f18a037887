"""GLiNERLiteRT: text and labels in, entities out, as GLiNER.predict_entities; numpy, tokenizers and LiteRT only.

A thin API over the stages, each in a module of its own, in the order a call runs them:
  runtime/text.py         prepare: words, offsets, windows; each window's tokens and bucket
  runtime/labels.py       label embeddings (labels encoder) and prompt vectors (prompts graph), cached
  runtime/logits_path.py  up to config.max_types labels: the seed's logits graph per window, decoded
  runtime/span_path.py    any number of labels: span graph per window, scored on the host, decoded
  runtime/token_path.py   token-level models: token graph per window and max_types labels, decoded as TokenDecoder
  runtime/decoding.py     upstream's greedy span decoding; text.entities maps words back to characters
"""

from __future__ import annotations

import weakref
from pathlib import Path
from typing import Sequence

import numpy as np

from common.variants import Precision
from runtime import checks
from runtime.artifacts import ArtifactError, Artifacts, Bucket
from runtime.bank import BankError, LabelBank, describe_identity
from runtime.checks import ON_OVERFLOW  # noqa: F401 - re-exported: the overflow policies
from runtime.labels import LabelStage
from runtime.logits_path import GraphCall, LogitsPath
from runtime.scoring import SCORES_BUDGET_BYTES
from runtime.span_path import SpanPath
from runtime.token_path import TokenPath
from runtime.text import PreparedText, TextStage
from runtime.windows import Window

__all__ = ["GLiNERLiteRT", "GraphCall", "PreparedText"]


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
        vocab = self.text_tokenizer.get_vocab_size(with_added_tokens=True)
        if not self.config.text_pad_token_id < vocab:
            # Past the embedding table LiteRT fails every call with a bare "Failed to invoke".
            raise ArtifactError(
                f"{artifacts.folder / 'manifest.json'}: config.text_pad_token_id {self.config.text_pad_token_id} is not "
                f"a token of the text tokenizer ({vocab} tokens); the manifest was edited: reconvert the folder with "
                "`python -m convert ... --force`")
        has_spans = artifacts.prompts_variant is not None and bool(artifacts.span_buckets)
        if span_scoring and not has_spans:
            raise ValueError(
                f"{artifacts.folder} has no {artifacts.precision} span graphs (text_spans_seq*, label_prompts): "
                "reconvert it as a bundle (`python -m convert ... --layout bundle`), or pass span_scoring=None"
            )
        self.span_scoring = has_spans if span_scoring is None else bool(span_scoring)
        text_buckets = checks.cap_buckets(artifacts.buckets, max_seq_len)
        span_buckets = checks.cap_buckets(artifacts.span_buckets, max_seq_len) if has_spans else []
        # Auto (span_scoring=None): up to max_types labels run the logits graph, whose span head is folded into
        # the labels (cheaper per text than span representations: at base S=128 73 vs 81 ms, BENCHMARKS-LABELS.md;
        # its output is [S, K, max_types], not [S, K, hidden]); more labels run one span-graph pass and score on
        # the host. Both equal upstream. Auto needs the same buckets on both paths, as every bundle has.
        self._span_auto = (
            span_scoring is None and has_spans
            and [b.variant.seq_len for b in text_buckets] == [b.variant.seq_len for b in span_buckets]
        )
        self.buckets: list[Bucket] = span_buckets if self.span_scoring and not self._span_auto else text_buckets
        self.window_overlap = checks.check_overlap(window_overlap, self.config.max_width)
        self._text = TextStage(self.text_tokenizer, self.config, self.buckets, self.window_overlap,
                               self.precision.suffix)
        self.max_tokens, self.max_words = self._text.max_tokens, self._text.max_words
        self._labels = LabelStage(artifacts, self.labels_tokenizer)
        self._label_cache = self._labels.embeds_cache
        self._banks_checked: dict[int, weakref.ref] = {}
        self._logits_path = LogitsPath(artifacts, self._text, text_buckets)
        self._span_path = SpanPath(artifacts, self._text, span_buckets, int(scores_budget_bytes))
        self._token_path = TokenPath(artifacts, self._text, text_buckets) if artifacts.token_level else None
        # The public per-call stages below run a token-level folder's token graphs (same stage shapes, 3 channels).
        self._calls = self._token_path or self._logits_path

    @property
    def scores_budget_bytes(self) -> int:
        return self._span_path.scores_budget_bytes

    @classmethod
    def from_pretrained(
        cls, model_dir: str | Path, precision: str = "fp32", num_threads: int | None = None,
        window_overlap: int | None = None, cache_dir: str | Path | bool | None = None, load: str = "mmap",
        max_seq_len: int | None = None, span_scoring: bool | None = None, verify: str = "stamp",
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
            verify: "stamp" (default): a model file and its weight cache are hashed in full when first seen and
                whenever their stamp (inode, size, mtime, ctime: any change through the file system) differs from
                the one recorded in the private cache folder; "full": hashed on every start.
        """
        p = Precision.parse(precision) if isinstance(precision, str) else precision
        if not isinstance(p, Precision):
            raise ValueError(f"precision must be one of {', '.join(x.suffix for x in Precision)}, got {precision!r}")
        return cls(Artifacts(model_dir, p, num_threads, cache_dir=cache_dir, load=load, verify=verify),
                   window_overlap=window_overlap,
                   max_seq_len=max_seq_len, span_scoring=span_scoring)

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
        checks.check_options(threshold, on_overflow, flat_ner, multi_label)
        labels, embeds = self._labels_and_embeds(labels)
        return self._predict(text, labels, embeds, threshold, flat_ner, multi_label, on_overflow)

    def batch_predict_entities(
        self, texts: Sequence[str], labels: Sequence[str], threshold: float = 0.5, flat_ner: bool = True,
        multi_label: bool = False, on_overflow: str = "window",
    ) -> list[list[dict]]:
        """predict_entities for each text with the same labels (encoded once). A bad text raises a ValueError
        that starts with its index, `texts[i]: ...`."""
        if isinstance(texts, str) or not isinstance(texts, (list, tuple)):
            raise ValueError(f"texts must be a list of strings, got {type(texts).__name__}")
        checks.check_options(threshold, on_overflow, flat_ner, multi_label)
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
        checks.check_options(threshold, on_overflow, flat_ner, multi_label)
        labels = self._check_labels(labels)
        emb = np.asarray(labels_embeddings, dtype=np.float32)
        checks.check_embeds(emb, labels, self.config.hidden_size)
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
        checks.check_unicode(text, "text")
        prepared = self._text.prepare(text, on_overflow)
        if self._token_path is not None:
            return self._token_path.predict(prepared, embeds, labels, threshold, flat_ner, multi_label)
        if self.uses_span_path(len(labels)):
            prompts = self._labels.prompts(embeds)
            return self._span_path.predict(prepared, prompts, labels, threshold, flat_ner, multi_label)
        return self._logits_path.predict(prepared, embeds, labels, threshold, flat_ner, multi_label)

    # ------------------------------------------------------------------ labels

    def encode_labels(self, labels: Sequence[str]) -> np.ndarray:
        """Label embeddings [N, hidden] from the labels encoder (128 rows per call where the folder has the bulk
        graph, the rest config.max_types at a time); cached by the label tuple.

        Labels are tokenized with the saved labels tokenizer (its normalizer lowercases if the model's does),
        as upstream's `labels_tokenizer(labels, truncation=True)`; the graph holds 32 tokens per label, so a
        longer label is cut to its first 31 tokens plus the closing special token, with a warning.
        """
        return self._labels.encode(tuple(self._check_labels(labels)))

    def label_prompts(self, embeds: np.ndarray) -> np.ndarray:
        """The prompt vectors [N, hidden] span representations are scored against (upstream's prompt_rep on the
        label embeddings), from the prompts graph 128 rows per call; cached by the embeddings' bytes."""
        return self._labels.prompts(embeds)

    def clear_label_cache(self) -> None:
        """Forget every cached label embedding and prompt: the next encode_labels runs the labels encoder again
        (what a call with new labels costs; benchmarks time it this way)."""
        self._labels.clear()

    def _check_labels(self, labels) -> list[str]:
        return checks.check_labels(labels, self.labels_tokenizer)

    def _labels_and_embeds(self, labels) -> tuple[list[str], np.ndarray]:
        if isinstance(labels, LabelBank):
            self.check_bank(labels)
            self._check_bank_labels(labels)
            return list(labels.labels), labels.embeds
        # Labels seen before were checked then (only checked labels enter the cache): 10,000 labels are
        # tokenized once, not on every text.
        if isinstance(labels, (list, tuple)) and all(type(x) is str for x in labels):
            key = tuple(labels)
            hit = self._labels.cached(key)
            if hit is not None:
                return list(key), hit
        labels = self._check_labels(labels)
        return labels, self._labels.encode(tuple(labels))

    # ------------------------------------------------------------------ label banks

    def build_bank(self, labels: Sequence[str]) -> LabelBank:
        """A LabelBank of `labels`: their embeddings from this model's labels encoder, with this model's weights
        sha256, precision and labels tokenizer sha256 (`bank.save(path)`; `load_bank(path)` later)."""
        labels = self._check_labels(labels)
        man = self.artifacts.manifest
        return LabelBank(tuple(labels), self._labels.encode(tuple(labels)), man.source["weights_sha256"],
                         self.precision.suffix, man.files["labels_tokenizer"].sha256)

    def load_bank(self, path) -> LabelBank:
        """A bank saved by `LabelBank.save`, refused unless this model (weights, precision, labels tokenizer)
        made it."""
        bank = LabelBank.load(path)
        self.check_bank(bank, str(path))
        self._check_bank_labels(bank, str(path))
        return bank

    def _check_bank_labels(self, bank: LabelBank, where: str = "the label bank") -> None:
        """A bank's labels pass the checks labels passed directly do (a bank built by hand skipped the tokenizer's
        duplicate check load_bank makes); once per bank object, whose labels and rows are immutable."""
        key = id(bank)
        seen = self._banks_checked.get(key)
        if seen is not None and seen() is bank:
            return
        try:
            self._check_labels(list(bank.labels))
        except ValueError as e:
            raise BankError(f"{where}: {e}") from None
        self._banks_checked[key] = weakref.ref(bank, lambda _: self._banks_checked.pop(key, None))

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

    # ------------------------------------------------------------------ stages, public for benchmarks
    # predict_entities is exactly: prepare -> window_spans per window -> decode_window_spans (span scoring), or
    # prepare -> build_calls per window -> run_call per call -> decode (the seed's graphs, config.max_types labels
    # per call). Benchmarks time the real pipeline stage by stage through these.

    def prepare(self, text: str, on_overflow: str = "window") -> PreparedText:
        """Stage 1 (runtime/text.py): words, their char offsets, and the windows covering them."""
        return self._text.prepare(text, on_overflow)

    def _bucket(self, n_tok: int, n_words: int, buckets: list[Bucket] | None = None) -> Bucket:
        return self._text.bucket(n_tok, n_words, buckets)

    def build_calls(self, prepared: PreparedText, window: Window, embeds: np.ndarray) -> list[GraphCall]:
        """Logits path, stage 2: one window's graph calls, one per config.max_types labels."""
        return self._calls.build_calls(prepared, window, embeds)

    def run_call(self, call: GraphCall) -> np.ndarray:
        """Logits path, stage 3: one call -> span logits [window words, max_width, labels of the group]."""
        return self._calls.run_call(call)

    def window_logits(self, calls: list[GraphCall]) -> np.ndarray:
        """Logits path, stage 3 over one window's calls: logits [window words, max_width, N labels]."""
        return self._calls.window_logits(calls)

    def decode(self, prepared: PreparedText, window_logits: list[np.ndarray], labels: Sequence[str],
               threshold: float = 0.5, flat_ner: bool = True, multi_label: bool = False) -> list[dict]:
        """Logits path, stage 4: stitch, decode as upstream, map words to char offsets."""
        return self._calls.decode(prepared, window_logits, labels, threshold, flat_ner, multi_label)

    def window_spans(self, prepared: PreparedText, window: Window) -> np.ndarray:
        """Span path, stage 2: one window -> span representations [window words, max_width, hidden]."""
        return self._span_path.window_spans(prepared, window)

    def decode_window_spans(self, prepared: PreparedText, window_reps: list[np.ndarray], prompts: np.ndarray,
                            labels: Sequence[str], threshold: float = 0.5, flat_ner: bool = True,
                            multi_label: bool = False) -> list[dict]:
        """Span path, stage 3: score against the prompts on the host, decode, map to char offsets."""
        return self._span_path.decode(prepared, window_reps, prompts, labels, threshold, flat_ner, multi_label)
