"""PyTorch modules that restate the upstream GLiNER bi-encoder forward with static shapes for export."""

from wrappers.labels import LabelsEncoderWrapper, PromptsWrapper
from wrappers.text import SpanRepsWrapper, TextEncoderWrapper

__all__ = ["LabelsEncoderWrapper", "PromptsWrapper", "SpanRepsWrapper", "TextEncoderWrapper"]
