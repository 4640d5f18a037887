"""Word splitting with character offsets, matching upstream gliner's word splitter.

GLiNER scores spans over *words*, so the runtime must cut text into exactly the
words upstream would, or word indices (and therefore entity offsets) drift.
"""

from __future__ import annotations

import re

__all__ = ["WHITESPACE_PATTERN", "split_words"]

# Same pattern and same `re` engine as gliner.data_processing.tokenizer.WhitespaceTokenSplitter;
# the stdlib `re` (not the third-party `regex`) defines what `\w` matches for non-ASCII text.
WHITESPACE_PATTERN = re.compile(r"\w+(?:[-_]\w+)*|\S")


def split_words(text: str, splitter_type: str = "whitespace") -> list[tuple[str, int, int]]:
    """Split ``text`` into ``(word, char_start, char_end)`` tuples, ``char_end`` exclusive.

    Identical to ``list(gliner.data_processing.WordsSplitter(splitter_type)(text))`` for the
    "whitespace" splitter, which is the default of gliner configs (``words_splitter_type``).
    """
    if splitter_type != "whitespace":
        # The other upstream splitters wrap spaCy, jieba, MeCab, stanza, ...; silently falling
        # back to whitespace would shift every word index, so refuse instead.
        raise ValueError(
            f"words splitter type {splitter_type!r} is not supported: only 'whitespace' is "
            "supported by the torch-free runtime"
        )
    return [(m.group(), m.start(), m.end()) for m in WHITESPACE_PATTERN.finditer(text)]
