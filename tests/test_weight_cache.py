"""The XNNPACK weight cache: where it goes, that LiteRT writes and reuses it, and the warning when a bundle runs
without one (each signature then packs its own copy of the weights)."""

from __future__ import annotations

import json
import shutil
import tempfile
import warnings
from pathlib import Path

import pytest

from runtime.cache import CACHE_DIRNAME, cache_file
from tests.runtime_helpers import CORE_LABELS, copy_folder

TEXT = "Maria Garcia joined Acme Corp in Paris."


@pytest.fixture
def bundle(tiny_trained_artifacts, tmp_path) -> Path:
    """A copy of tiny-trained's fp32 bundle without the caches earlier tests left beside the original."""
    folder = copy_folder(tiny_trained_artifacts, tmp_path / "bundle", layout="bundle")
    shutil.rmtree(folder / CACHE_DIRNAME, ignore_errors=True)
    return folder


def _predict(folder: Path, **kw):
    from runtime import GLiNERLiteRT

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = GLiNERLiteRT.from_pretrained(folder, num_threads=1, **kw)
        out = model.predict_entities(TEXT, CORE_LABELS)
    return out, [str(w.message) for w in caught if "weight cache" in str(w.message)]


def test_default_cache_is_written_beside_the_artifacts_and_reused(bundle):
    first, warned = _predict(bundle)
    assert warned == []
    (art,) = json.loads((bundle / "manifest.json").read_text())["artifacts"].values()
    (cache,) = (bundle / CACHE_DIRNAME).iterdir()  # written by LiteRT, named by the bundle's sha256
    assert cache == cache_file(bundle, art["sha256"]) and cache.stat().st_size > 0
    stamp = cache.stat().st_mtime_ns
    again, _ = _predict(bundle)
    assert again == first and cache.stat().st_mtime_ns == stamp  # mapped, not rebuilt


def test_cache_off_on_a_bundle_warns_with_the_fix_and_still_predicts(bundle):
    with_cache, _ = _predict(bundle)
    without, warned = _predict(bundle, cache_dir=False)
    assert without == with_cache
    assert len(warned) == 1
    assert "cache_dir=False" in warned[0] and "signatures" in warned[0] and "cache_dir=<a writable folder>" in warned[0]


def test_unwritable_folders_fall_back_to_the_temp_folder(tmp_path, monkeypatch):
    """Artifacts folder and home unwritable (/proc): the cache goes to the temp folder rather than off."""
    monkeypatch.setenv("HOME", "/proc/gliner-litert-no-home")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    path = cache_file(Path("/proc/gliner-litert-no-artifacts"), "ab" * 32)
    assert path is not None and path.parent == tmp_path / "gliner-litert"
    assert path.name.startswith("ab" * 16)
    assert cache_file(Path("/proc/x"), "ab" * 32, cache_dir=False) is None
