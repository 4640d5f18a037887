"""Stage 1, the text: words with their character offsets, the windows that cover them, each window's tokens and
bucket; and, at the end, word spans mapped back to characters."""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass

from runtime.artifacts import Bucket
from runtime.windows import Window, plan_smallest_buckets, tokens_per_word
from runtime.words import split_words


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


class TextStage:
    """Splits and tokenizes texts for one model: `buckets` are the graphs a call may use, smallest first."""

    def __init__(self, text_tokenizer, config, buckets: list[Bucket], window_overlap: int, precision: str):
        self.tokenizer = text_tokenizer
        self.config = config
        self.buckets = buckets
        self.window_overlap = window_overlap
        self.precision = precision
        self.max_tokens = max(b.max_tokens for b in buckets)
        # Words one graph call takes: upstream's max_len, and no more span rows than the largest graph has.
        self.max_words = min(config.max_len, max(b.variant.seq_len for b in buckets))
        self.special_tokens = text_tokenizer.num_special_tokens_to_add(False)
        self._truncating_tokenizer = None
        self._truncating_lock = threading.Lock()
        split_words("", config.words_splitter_type)  # refuse an unsupported splitter at load, not per call

    def prepare(self, text: str, on_overflow: str = "window") -> PreparedText:
        """Words (upstream's splitter), their char offsets, and the windows covering them under the overflow
        policy. Tokenizes the whole text once to count tokens per word."""
        triples = split_words(text, self.config.words_splitter_type)
        words = [w for w, _, _ in triples]
        starts = [a for _, a, _ in triples]
        ends = [b for _, _, b in triples]
        enc = self.tokenizer.encode(words, is_pretokenized=True)
        counts = tokens_per_word(enc.word_ids, len(words))
        max_words = self.max_words
        n_tok = len(enc.ids)
        if len(words) <= max_words and n_tok <= self.max_tokens:
            return PreparedText(text, words, starts, ends, [Window(0, len(words), 0, len(words))])
        why = (
            f"the text has {len(words)} words and {n_tok} tokens; one graph call takes at most {max_words} words "
            f"(the model's max_len {self.config.max_len}, capped by the largest bucket) and {self.max_tokens} "
            f"tokens (the largest {self.precision} bucket)"
        )
        if on_overflow == "error":
            raise ValueError(
                f"{why}. Pass on_overflow='window' (overlapping windows) or 'truncate', or convert a larger "
                f"--seq-lens bucket"
            )
        if on_overflow == "truncate":
            keep, used = 0, self.special_tokens
            while keep < min(len(words), max_words) and used + counts[keep] <= self.max_tokens:
                used += counts[keep]
                keep += 1
            keep = max(keep, 1)
            # Upstream's UniEncoderSpanProcessor.preprocess_example warns the same way for max_len.
            warnings.warn(f"Sentence of length {len(words)} has been truncated to {keep} ({why})", stacklevel=4)
            return PreparedText(text, words[:keep], starts[:keep], ends[:keep], [Window(0, keep, 0, keep)])
        budgets = [(b.max_tokens, min(max_words, b.variant.seq_len)) for b in self.buckets]
        windows = plan_smallest_buckets(counts, self.special_tokens, budgets, self.window_overlap)
        return PreparedText(text, words, starts, ends, windows)

    def encode_window(self, words: list[str], w: Window):
        """The tokens of one window's words, pre-tokenized as upstream encodes them."""
        enc = self.tokenizer.encode(words[w.start : w.stop], is_pretokenized=True)
        if len(enc.ids) > self.max_tokens:
            # Only a single word longer than the largest bucket gets here (plan_windows gives it a window
            # of its own): cut its tokens, keeping the special tokens, as a truncating tokenizer does.
            with self._truncating_lock:  # built once, configured before any thread can see it
                if self._truncating_tokenizer is None:
                    from tokenizers import Tokenizer

                    tok = Tokenizer.from_str(self.tokenizer.to_str())
                    tok.enable_truncation(max_length=self.max_tokens)
                    self._truncating_tokenizer = tok
            enc = self._truncating_tokenizer.encode(words[w.start : w.stop], is_pretokenized=True)
        return enc

    def bucket(self, n_tok: int, n_words: int, buckets: list[Bucket] | None = None) -> Bucket:
        """The smallest graph that holds the tokens and words (buckets are sorted by seq_len)."""
        for b in buckets or self.buckets:
            if n_tok <= b.max_tokens and n_words <= b.variant.seq_len:
                return b
        raise ValueError(f"{n_tok} tokens / {n_words} words fit no bucket (largest holds {self.max_tokens} tokens)")


def entities(prepared: PreparedText, spans) -> list[dict]:
    """Decoded (start word, end word, label, score) spans as upstream's entity dicts, char offsets into the text
    (gliner.model._map_entities_to_original)."""
    out = []
    for s, e, label, score in spans:
        a, b = prepared.starts[s], prepared.ends[e]
        out.append({"start": a, "end": b, "text": prepared.text[a:b], "label": label, "score": score})
    return out
