"""PyTorch modules that restate the upstream GLiNER bi-encoder forward with static shapes for export."""

from wrappers.labels import LabelsEncoderWrapper
from wrappers.text import TextEncoderWrapper

__all__ = ["LabelsEncoderWrapper", "TextEncoderWrapper"]
