"""The family's size limit: an fp32 graph too large for one flatbuffer is refused before any export, with
the fix named (the refusal is what convert does for a model past large's 2102 MB of 2147; docs/FAMILY.md)."""

from __future__ import annotations

import pytest

from common.variants import Layout, Precision, all_variants
from convert.plan import plan_files
from convert.run import FLATBUFFER_LIMIT, check_flatbuffer_limit
from tests.conftest import load_gliner
from upstream.source import SourceError


def _plans(layout, precisions):
    return plan_files(all_variants((256,), precisions), layout)


def test_an_fp32_graph_over_the_flatbuffer_limit_is_refused_naming_the_fix(tiny_trained_dir):
    model = load_gliner(str(tiny_trained_dir))
    # tiny-trained's fp32 bundle holds ~1.7 MB of weights: a 1 MB limit stands in for 2 GiB at full size.
    with pytest.raises(SourceError, match=r"gliner_bi_fp32.tflite: its fp32 weights \(0.00 GB\) exceed .* int8 "
                       r"included, is quantized from that fp32 graph. Convert with --layout files"):
        check_flatbuffer_limit(model, _plans(Layout.BUNDLE, [Precision.INT8]), limit=1_000_000)
    # One graph per file: the text encoder alone (~1.3 MB) is still over 1 MB, and the message says so.
    with pytest.raises(SourceError, match="still does not fit"):
        check_flatbuffer_limit(model, _plans(Layout.FILES, [Precision.FP32]), limit=1_000_000)
    # Within the limit (and at the real one) nothing is refused.
    check_flatbuffer_limit(model, _plans(Layout.FILES, [Precision.FP32]), limit=2_000_000)
    check_flatbuffer_limit(model, _plans(Layout.BUNDLE, [Precision.FP32, Precision.INT8]))
    assert FLATBUFFER_LIMIT == 2**31
