"""Weight-derived tensors made once per model and shared by every wrapper (every signature) that uses them."""

from __future__ import annotations

import weakref

from torch import nn


class OncePerModule(nn.Module):
    """A module of buffers computed from another module's weights, one instance per source module.

    Slicing, transposing or projecting a parameter inside forward makes the converter fold a new constant into every
    signature (3 x 4 MB fp32 per text graph at base size for the span head). Buffers of one instance, shared by every
    wrapper of a model, are one set of tensors, which a multi-signature export stores once. `Sub.of(source)` gives
    that instance; each subclass keeps its own table, keyed weakly so a dropped model frees its buffers.
    """

    _instances: "weakref.WeakKeyDictionary[nn.Module, OncePerModule]"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._instances = weakref.WeakKeyDictionary()

    @classmethod
    def of(cls, source: nn.Module):
        if source not in cls._instances:
            cls._instances[source] = cls(source)
        return cls._instances[source]
