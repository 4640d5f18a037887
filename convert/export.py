"""Variant -> .tflite: fp32 through litert-torch, quantized files derived from the fp32 graph."""

from __future__ import annotations

from pathlib import Path

import torch

from common.inputs import input_shapes
from common.variants import Component, Layout, Precision, Variant


def build_wrapper(model, variant: Variant, fuse_span_head: bool = True) -> torch.nn.Module:
    from wrappers import LabelsEncoderWrapper, PromptsWrapper, SpanRepsWrapper, TextEncoderWrapper

    c = variant.component
    if c in (Component.LABELS, Component.LABELS_BULK):
        return LabelsEncoderWrapper(model).eval()
    if c is Component.PROMPTS:
        return PromptsWrapper(model).eval()
    if c is Component.SPANS:
        return SpanRepsWrapper(model, variant.seq_len).eval()
    return TextEncoderWrapper(model, variant.seq_len, fuse_span_head=fuse_span_head).eval()


def sample_inputs(model, variant: Variant) -> dict[str, torch.Tensor]:
    """Tracing inputs with the contract's shapes and dtypes (int32 ids: LiteRT's integer width)."""
    shapes = input_shapes(variant.component, variant.seq_len, model.config.max_width, model.config.hidden_size)
    out = {}
    for name, shape in shapes.items():
        if name == "labels_embeds":
            out[name] = torch.zeros(shape, dtype=torch.float32)
        else:
            out[name] = torch.zeros(shape, dtype=torch.int32)
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
    if layout is Layout.FILES:
        (v,) = variants
        edge = litert_torch.convert(build_wrapper(model, v, fuse_span_head), sample_kwargs=sample_inputs(model, v),
                                    lightweight_conversion=lightweight)
    else:
        conv = None
        for v in variants:
            wrapper, kwargs = build_wrapper(model, v, fuse_span_head), sample_inputs(model, v)
            conv = (litert_torch.signature(v.signature, wrapper, sample_kwargs=kwargs) if conv is None
                    else conv.signature(v.signature, wrapper, sample_kwargs=kwargs))
        edge = conv.convert(lightweight_conversion=lightweight)
    edge.export(str(dest))


# Ops of the transformer encoders in litert-torch's tensor names: the ModernBERT/BERT module scopes, plus
# ModernBERT's Wqkv/Wo of the sliding layers, which wrappers/banded.py calls directly (their scope is then
# the wrapper's). Missing those made 28 FCs weight-only: int8 ran 40% slower at S=256 than it should.
ENCODER_SCOPE = r"(transformers\.models\.(modernbert|bert)\.|Linear_(Wqkv|Wo|Wi)(;|$))"


# The recipe a lone FULLY_CONNECTED outside ENCODER_SCOPE would need to be quantized like the encoder layers
# are: scripts/bench/ceiling.py's one-layer throughput ceiling must run the kernel the graph's bulk runs (dynamic
# int8), not the head's weight-only one (which XNNPACK dequantizes to float: an fp32 ceiling).
ENCODER_LAYER_RECIPE = {"dynamic_encoders_weight_only_head": "dynamic_wi8_afp32"}


# The span graph's last layer (SpanRepsWrapper.out_last: out_project's last Linear) stays float at every precision:
# the logits graph folds that layer into the label vectors, computed in float, and the span graph keeps the same
# arithmetic (weight-only int8 there cost int8w entity F1 on tiny-trained: 0.9898 < 0.99 at 0.3). Its output is
# the graph's output where the span rows are one chunk, hence both names. 4 x hidden x hidden floats, stored once.
FLOAT_SCOPE = r"(Linear_out_last|span_reps_output)"


def build_recipe(name: str):
    """An ai-edge-quantizer recipe by name: ours, or one of ai_edge_quantizer.recipe's functions; FLOAT_SCOPE
    unquantized in either."""
    from ai_edge_quantizer import algorithm_manager, qtyping, recipe, recipe_manager

    rm = recipe_manager.RecipeManager()
    ops = qtyping.TFLOperationName.ALL_SUPPORTED
    if name == "dynamic_encoders_weight_only_head":
        rm.add_dynamic_config(regex=ENCODER_SCOPE, operation_name=ops, num_bits=8)
        rm.add_weight_only_config(regex=f"^(?!.*{ENCODER_SCOPE}).*$", operation_name=ops, num_bits=8)
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
