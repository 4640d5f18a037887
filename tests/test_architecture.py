"""Which GLiNER checkpoints convert, decided from gliner_config.json before any weight is read (upstream/architecture.py):
judged against the model class upstream gliner itself would build from the same config, and run as a user runs
convert on a refused one."""

from __future__ import annotations

import itertools
import json
import shutil

import pytest

from tests.cli import run_cli
from upstream.architecture import HEADS, from_config, refusal

# upstream's class for each head this toolkit converts (gliner/model.py GLiNER._get_gliner_class)
CONVERTED_CLASSES = {"span": "BiEncoderSpanGLiNER", "token": "BiEncoderTokenGLiNER"}


def _upstream_class(cfg: dict) -> str:
    from gliner.model import GLiNER

    return GLiNER._get_gliner_class(GLiNER._config_from_dict(cfg)).__name__


@pytest.mark.parametrize("labels_encoder, span_mode, labels_decoder, relations", list(itertools.product(
    ["BAAI/bge-small-en-v1.5", None], ["markerV0", "token_level"], [None, "gpt2"], [None, "relations"])))
def test_a_config_converts_exactly_when_upstream_builds_a_converted_bi_encoder(
        tiny_trained_dir, labels_encoder, span_mode, labels_decoder, relations):
    cfg = json.loads((tiny_trained_dir / "gliner_config.json").read_text())
    cfg.update(span_mode=span_mode, labels_decoder=labels_decoder, relations_layer=relations)
    if labels_encoder is None:
        cfg.pop("labels_encoder")
        cfg.pop("labels_encoder_config")
    upstream = _upstream_class(cfg)
    arch = from_config(cfg)
    converts = refusal("m", arch) is None
    assert converts == (upstream in {CONVERTED_CLASSES[h] for h in HEADS.values()}), (upstream, arch.missing())
    if not converts:
        assert "Nothing was written" in refusal("m", arch)


def test_encoders_named_only_by_hub_id_are_judged_by_their_names(tiny_trained_dir):
    cfg = json.loads((tiny_trained_dir / "gliner_config.json").read_text())
    for key in ("encoder_config", "labels_encoder_config"):
        cfg.pop(key)
    cfg.update(model_name="microsoft/deberta-v3-small", labels_encoder="BAAI/bge-small-en-v1.5")
    arch = from_config(cfg)
    assert (arch.text_encoder, arch.labels_encoder) == ("deberta-v2", "bert")
    cfg.update(model_name="answerdotai/ModernBERT-base", labels_encoder="sentence-transformers/all-MiniLM-L6-v2")
    assert refusal("m", from_config(cfg)) is None
    cfg.update(model_name="princeton-nlp/Sheared-LLaMA-1.3B")
    assert "'llama' text encoders" in refusal("m", from_config(cfg))


def test_convert_refuses_a_poly_encoder_with_a_llama_text_encoder_naming_every_missing_piece(tiny_trained_dir, tmp_path):
    model = shutil.copytree(tiny_trained_dir, tmp_path / "model")
    cfg = json.loads((model / "gliner_config.json").read_text())
    cfg["encoder_config"]["model_type"] = "llama"
    cfg.update(post_fusion_schema="l2l-l2t-t2t", words_splitter_type="spacy")
    (model / "gliner_config.json").write_text(json.dumps(cfg))
    out = tmp_path / "out"
    res = run_cli(["python", "-m", "convert", "--model", str(model), "--out", str(out)])
    assert res.returncode == 2, res.stderr[-2000:]
    assert "Traceback" not in res.stderr
    (line,) = [x for x in res.stderr.splitlines() if x.startswith("error:")]
    for piece in ("a span bi-encoder with a llama text encoder and a bert labels encoder",
                  "a wrapper for 'llama' text encoders", "post-fusion layers", "'spacy' words splitter",
                  "Nothing was written", "docs/FAMILY.md"):
        assert piece in line, (piece, line)
    assert not out.exists()
