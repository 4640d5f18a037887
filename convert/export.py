"""Variant -> .tflite: fp32 through litert-torch, quantized files derived from the fp32 graph."""

from __future__ import annotations

from pathlib import Path

import torch

from common.inputs import input_dtypes, input_shapes
from common.variants import Component, Layout, Precision, Variant


def build_wrapper(model, variant: Variant, fuse_span_head: bool = True,
                  layout: Layout = Layout.BUNDLE) -> torch.nn.Module:
    from wrappers import LabelsEncoderWrapper, PromptsWrapper, SpanRepsWrapper, TextEncoderWrapper
    from wrappers.dtypes import CastInputs

    c = variant.component
    if c in (Component.LABELS, Component.LABELS_BULK):
        wrapper = LabelsEncoderWrapper(model).eval()
    elif c is Component.PROMPTS:
        wrapper = PromptsWrapper(model).eval()
    elif c is Component.SPANS:
        wrapper = SpanRepsWrapper(model, variant.seq_len).eval()
    elif c is Component.TOKENS:
        from wrappers.token import TokenLogitsWrapper

        wrapper = TokenLogitsWrapper(model, variant.seq_len).eval()
    else:
        wrapper = TextEncoderWrapper(model, variant.seq_len, fuse_span_head=fuse_span_head).eval()
    return CastInputs(wrapper).eval() if _x64(variant, layout) else wrapper


def _x64(variant: Variant, layout: Layout) -> bool:
    """Whether the layout's contract has int64 inputs: litert-torch downcasts them to int32 unless enable_x64."""
    return "int64" in input_dtypes(variant.component, layout).values()


def sample_inputs(model, variant: Variant, layout: Layout = Layout.BUNDLE) -> dict[str, torch.Tensor]:
    """Tracing inputs with the layout's contract: shapes and dtypes (common/inputs.py), in signature order."""
    cfg = model.config
    shapes = input_shapes(variant.component, variant.seq_len, cfg.max_width, cfg.hidden_size, cfg.max_types)
    dtypes = input_dtypes(variant.component, layout)
    out = {name: torch.zeros(shape, dtype=getattr(torch, dtypes[name])) for name, shape in shapes.items()}
    if "attention_mask" in out:
        out["attention_mask"][..., :2] = 1
    return out


def export_fp32(model, variants: list[Variant], layout: Layout, dest: Path, fuse_span_head: bool = True,
                lightweight: bool = True) -> None:
    """Writes the fp32 graphs of `variants` to one file `dest` (the caller picks a temporary name and renames).

    One variant in the seed's layout is a single-module export (signature `serving_default`); a bundle chains
    one signature per variant. litert-torch stores a parameter once however many signatures use it, and the
    wrappers of one model share its parameters, so a bundle holds the weights once.
    """
    import litert_torch

    # lightweight_conversion keeps constants lazy: peak RSS 3.6 -> 2.6 GB at full size, same graph (measured on
    # base-random).
    # enable_x64 keeps the int64 inputs of the layout's contract (CastInputs casts them to int32 at once, so
    # no other tensor is 64-bit); litert-torch would downcast them otherwise.
    x64 = any(_x64(v, layout) for v in variants)
    if layout is Layout.FILES:
        (v,) = variants
        edge = litert_torch.convert(build_wrapper(model, v, fuse_span_head, layout),
                                    sample_kwargs=sample_inputs(model, v, layout),
                                    lightweight_conversion=lightweight, enable_x64=x64)
    else:
        conv = None
        for v in variants:
            wrapper, kwargs = build_wrapper(model, v, fuse_span_head, layout), sample_inputs(model, v, layout)
            conv = (litert_torch.signature(v.signature, wrapper, sample_kwargs=kwargs) if conv is None
                    else conv.signature(v.signature, wrapper, sample_kwargs=kwargs))
        edge = conv.convert(lightweight_conversion=lightweight, enable_x64=x64)
    edge.export(str(dest))


# Ops of the transformer encoders in litert-torch's tensor names: the ModernBERT/BERT/DeBERTa-v2 module scopes,
# plus ModernBERT's Wqkv/Wo of the sliding layers, which wrappers/banded.py calls directly (their scope is then
# the wrapper's), and DeBERTa's query/key/value projections, which wrappers/deberta.py calls directly. Missing
# those made 28 FCs weight-only: int8 ran 40% slower at S=256 than it should.
ENCODER_SCOPE = (r"(transformers\.models\.(modernbert|bert|deberta_v2)\.|"
                 r"Linear_(Wqkv|Wo|Wi|query_proj|key_proj|value_proj)(;|$))")


# The recipe a lone FULLY_CONNECTED outside ENCODER_SCOPE would need to be quantized like the encoder layers
# are: scripts/bench/ceiling.py's one-layer throughput ceiling must run the kernel the graph's bulk runs (dynamic
# int8), not the head's float one (an fp32 ceiling).
ENCODER_LAYER_RECIPE = {"dynamic_encoders_float_head": "dynamic_wi8_afp32"}


# The span graph's last layer (SpanRepsWrapper.out_last: out_project's last Linear) stays float at every precision:
# the logits graph folds that layer into the label vectors, computed in float, and the span graph keeps the same
# arithmetic (weight-only int8 there cost int8w entity F1 on tiny-trained: 0.9898 < 0.99 at 0.3). Its output is
# the graph's output where the span rows are one chunk, hence both names. 4 x hidden x hidden floats, stored once.
FLOAT_SCOPE = r"(Linear_out_last|span_reps_output)"


# The BERT labels encoder's attention value projections stay float in the int8 recipe: on the real
# all-MiniLM-L6-v2 (tests/test_real_minilm.py) dynamic int8 everywhere gave a min cosine of 0.98685 to upstream's
# label embeddings (< 0.99; 'username', 'url'). Measured by leaving float one FC kind at a time (the 74 labels
# of the first 100 suite texts, min cosine): value 0.9965, key 0.9913, query 0.9890, q+k+v 0.9967, attention output 0.9900,
# intermediate 0.9900, output 0.9861, all of BERT 0.99991; one layer's value alone 0.986-0.992 (the error adds up
# over the 6 layers). The six value FCs (384 x 384) are +2.6 MB on the int8 bundle (28.5 -> 31.1 MB), plain float
# constants (no DEQUANTIZE: a weight-only layer would be evaluated once per labels signature into anonymous
# memory, issue #12). ModernBERT's fused Wqkv does not match.
LABELS_FLOAT_SCOPE = r"BertSelfAttention_self/torch\.nn\.modules\.linear\.Linear_value(;|$)"


# DeBERTa's projected relative-position tables (wrappers/deberta.PositionTables, read by one EMBEDDING_LOOKUP per
# kind per text graph) stay float in the int8 recipe: int8 tables cost tiny-deberta-trained entity F1 on the full
# suite at S=512 (0.9891 < 0.99 at 0.5; 0.9923 with float tables, S=256 0.9925 -> 0.9962). Float, each of their
# 2 kinds x 2 span x hidden x layers entries takes 3 bytes more: +14 MB on deberta-small's int8 bundle, +28 MB on
# deberta-base's.
POSITION_TABLES_FLOAT_SCOPE = r"wrappers\.deberta\.DebertaV2Tokens_tokens;\d+;?$"


def build_recipe(name: str):
    """An ai-edge-quantizer recipe by name: ours, or one of ai_edge_quantizer.recipe's functions; FLOAT_SCOPE
    unquantized in either."""
    from ai_edge_quantizer import algorithm_manager, qtyping, recipe, recipe_manager

    rm = recipe_manager.RecipeManager()
    ops = qtyping.TFLOperationName.ALL_SUPPORTED
    if name == "dynamic_encoders_float_head":
        # Encoders dynamic int8; every embedding table int8 read by a hybrid EMBEDDING_LOOKUP (the labels
        # encoder's 30522 x 384 table sits outside ENCODER_SCOPE); the span/prompt head left float. A weight-only
        # head is a DEQUANTIZE of a constant, which LiteRT evaluates once per signature into anonymous memory
        # the weight cache does not cover: 37.5 MiB per text signature at base size, +370 MiB for a bundle of
        # nine (measured). Float head weights are plain constants, packed once in the weight cache.
        rm.add_dynamic_config(regex=ENCODER_SCOPE, operation_name=ops, num_bits=8)
        rm.add_dynamic_config(regex=".*", operation_name=qtyping.TFLOperationName.EMBEDDING_LOOKUP, num_bits=8)
        rm.add_quantization_config(LABELS_FLOAT_SCOPE, ops, None, algorithm_manager.AlgorithmName.NO_QUANTIZE)
        rm.add_quantization_config(POSITION_TABLES_FLOAT_SCOPE, qtyping.TFLOperationName.EMBEDDING_LOOKUP, None,
                                   algorithm_manager.AlgorithmName.NO_QUANTIZE)
    else:
        rm.load_quantization_recipe(getattr(recipe, name)())
    # The latest matching config wins (RecipeManager.get_quantization_configs).
    rm.add_quantization_config(FLOAT_SCOPE, ops, None, algorithm_manager.AlgorithmName.NO_QUANTIZE)
    return rm.get_quantization_recipe()


def quantize(fp32_file: Path, precision: Precision, dest: Path, recipe: str | None = None) -> None:
    """Applies the precision's ai-edge-quantizer recipe (or `recipe`, by name) to the exported fp32 graph
    (seconds, no re-export)."""
    from ai_edge_quantizer import quantizer

    recipe = recipe or precision.recipe
    if recipe is None:
        raise ValueError(f"{precision} is not a quantized precision")
    qt = quantizer.Quantizer(str(fp32_file))
    qt.load_quantization_recipe(build_recipe(recipe))
    result = qt.quantize()
    Path(dest).write_bytes(bytes(result.quantized_model))
