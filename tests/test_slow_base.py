"""Full-size architecture (base-random): wrapper parity and one real conversion at S=256. `pytest -m slow`."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import CORE_LABELS, LABELS_25, convert_into, load_gliner

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def base_random_dir(tmp_path_factory):
    from scripts.build_fixtures import build_base_random

    return build_base_random(tmp_path_factory.mktemp("models") / "base-random", seed=0)


@pytest.mark.parametrize("labels", [CORE_LABELS, LABELS_25], ids=["8", "25"])
def test_base_wrapper_matches_upstream(base_random_dir, labels):
    from tests.test_wrappers import TEXTS, _fill, _wrapper_diff

    model = load_gliner(str(base_random_dir))
    for text in (TEXTS["accents"], TEXTS["emoji"], _fill(model)):
        diff, scale = _wrapper_diff(model, text, labels)
        assert diff <= 1e-5 * max(1.0, scale), f"max abs diff {diff:.3g}"


def test_base_conversion_and_parity(base_random_dir, tmp_path):
    from common.tflite import non_builtin_ops
    from common import manifest as mf
    from validate import harness
    from validate.suite import load_suite

    out = tmp_path / "art"
    convert_into(base_random_dir, out, seq_lens=(256,), precisions=("fp32",))
    man = mf.read(out)
    for e in man.artifacts.values():
        assert not non_builtin_ops(out / e.file)
    text = man.artifacts["text_encoder_seq256_fp32"]
    assert text.peak_rss_bytes < 6e9
    model = load_gliner(str(base_random_dir))
    results, _ = harness.run(model, man, out, log=lambda *a: None, items=load_suite()[:30], judge_entities=False)
    for r in results:
        assert r.passed, (str(r.variant), r.failures)
        if r.variant.component.value == "text":
            assert r.stats["upstream_labels"]["relative_error"] <= 1e-5
            assert np.isfinite(r.stats["upstream_labels"]["max_abs_diff"])
