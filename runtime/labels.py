"""The labels side: label embeddings from the labels encoder (128 rows a call where the bulk graph exists) and
their prompt vectors from the prompts graph, both cached."""

from __future__ import annotations

import hashlib
import threading
import warnings
import weakref

import numpy as np

from common.inputs import LABELS_OUTPUT, PROMPTS_OUTPUT, build_labels_inputs
from runtime.lru import LRU

CACHE_SIZE = 64  # label lists (and prompt sets) a model remembers


class LabelStage:
    """Embeddings and prompts of label lists for one artifacts folder (`artifacts.run` runs its graphs)."""

    def __init__(self, artifacts, labels_tokenizer):
        self.artifacts = artifacts
        self.config = artifacts.config
        self.tokenizer = labels_tokenizer
        self._empty_label = labels_tokenizer.encode("").ids
        self.embeds_cache = LRU(CACHE_SIZE)  # label tuple -> embeddings
        self.prompts_cache = LRU(CACHE_SIZE)  # embeddings' digest -> prompts
        self._prompts_by_array: dict[int, tuple] = {}
        self._lock = threading.Lock()

    def cached(self, key: tuple[str, ...]) -> np.ndarray | None:
        return self.embeds_cache.get(key)

    def encode(self, key: tuple[str, ...]) -> np.ndarray:
        """Embeddings [N, hidden] of checked labels, read-only; the graph holds config.label_tokens tokens per label,
        so a longer label is cut (warned)."""
        hit = self.embeds_cache.get(key)
        if hit is not None:
            return hit
        encs = [e.ids for e in self.tokenizer.encode_batch(list(key))]
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
        self.embeds_cache.put(key, embeds)
        return embeds

    def prompts(self, embeds: np.ndarray) -> np.ndarray:
        """Prompt vectors [N, hidden] (upstream's prompt_rep on the embeddings), 128 rows per call of the prompts
        graph; cached by the embeddings' bytes."""
        # The embeddings of encode and of a bank are read-only arrays that own their data: the same object
        # holds the same values, so it is its own key (hashing 10,000 x 512 floats costs ~30 ms per text).
        owned = isinstance(embeds, np.ndarray) and not embeds.flags.writeable and embeds.base is None
        if owned:
            with self._lock:
                hit = self._prompts_by_array.get(id(embeds))
                if hit is not None and hit[0]() is embeds:
                    return hit[1]
        emb = np.ascontiguousarray(embeds, dtype=np.float32)
        key = hashlib.blake2b(emb.tobytes(), digest_size=16).digest() + str(emb.shape).encode()
        prompts = self.prompts_cache.get(key)
        if prompts is None:
            variant = self.artifacts.prompts_variant
            rows = variant.component.label_rows(self.config.max_types)
            out = []
            for g in range(0, emb.shape[0], rows):
                group = emb[g : g + rows]
                feed = np.zeros((rows, emb.shape[1]), np.float32)
                feed[: len(group)] = group
                run = self.artifacts.run(variant, {"labels_embeds": feed})[PROMPTS_OUTPUT]
                out.append(np.asarray(run[: len(group)], np.float32))
            prompts = np.concatenate(out, axis=0)
            prompts.setflags(write=False)
            self.prompts_cache.put(key, prompts)
        if owned:
            self._remember(embeds, prompts)
        return prompts

    def _remember(self, embeds: np.ndarray, prompts: np.ndarray) -> None:
        """Prompts by the identity of a read-only embeddings array, forgotten with it."""
        key = id(embeds)
        with self._lock:
            self._prompts_by_array[key] = (weakref.ref(embeds, lambda _: self._prompts_by_array.pop(key, None)),
                                           prompts)

    def clear(self) -> None:
        self.embeds_cache.clear()
        self.prompts_cache.clear()
        with self._lock:
            self._prompts_by_array.clear()
