"""Reads a .tflite file: its operator set, its signatures' inputs and outputs and subgraphs, what its ops need (no torch)."""

from __future__ import annotations

import hashlib
from pathlib import Path

BUILTIN_ONLY_FORBIDDEN = ("CUSTOM", "FLEX", "DELEGATE")


def read_model(source):
    """The flatbuffer's root Model, from a path or the file's bytes (any buffer: bytes, mmap, memoryview)."""
    import os

    from ai_edge_litert import schema_py_generated as schema

    data = Path(source).read_bytes() if isinstance(source, (str, os.PathLike)) else source
    return schema.Model.GetRootAsModel(data, 0)


def builtin_codes(model) -> list[int]:
    """Each operator-code entry's builtin operator (schema.BuiltinOperator), by OpcodeIndex: the larger of the
    two fields, as files written before and after the 127-op extension both need."""
    return [max(model.OperatorCodes(i).BuiltinCode(), model.OperatorCodes(i).DeprecatedBuiltinCode())
            for i in range(model.OperatorCodesLength())]


def signature_subgraph(model, signature: str) -> int:
    """Index of the subgraph a signature runs (`model` from read_model); ValueError naming it when absent."""
    for i in range(model.SignatureDefsLength()):
        sig = model.SignatureDefs(i)
        if sig.SignatureKey().decode() == signature:
            return int(sig.SubgraphIndex())
    raise ValueError(f"the model has no signature {signature!r}")


def op_names(path: Path) -> set[str]:
    """Operator names used by every subgraph; custom ops as 'CUSTOM:<code>' (Flex ops are custom 'Flex...')."""
    from ai_edge_litert import schema_py_generated as schema

    model = read_model(path)
    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    out = set()
    for i, code in enumerate(builtin_codes(model)):
        oc = model.OperatorCodes(i)
        if code == schema.BuiltinOperator.CUSTOM:
            out.add("CUSTOM:" + (oc.CustomCode() or b"").decode())
        else:
            out.add(names.get(code, f"UNKNOWN_{code}"))
    return out


def widest_op(path: Path, op: str) -> dict[str, tuple[int, int]]:
    """Per signature, the most inputs any `op` node has and the highest rank of its outputs ((0, 0) without one):
    e.g. CONCATENATION, which the XNNPACK delegate takes with at most five inputs of at most six dimensions
    (wrappers/stacking.py)."""
    from ai_edge_litert import schema_py_generated as schema

    model = read_model(path)
    code = getattr(schema.BuiltinOperator, op)
    codes = builtin_codes(model)
    out = {}
    for i in range(model.SignatureDefsLength()):
        sig = model.SignatureDefs(i)
        graph = model.Subgraphs(sig.SubgraphIndex())
        ops = [o for o in (graph.Operators(j) for j in range(graph.OperatorsLength())) if codes[o.OpcodeIndex()] == code]
        out[sig.SignatureKey().decode()] = (
            max((o.InputsLength() for o in ops), default=0),
            max((graph.Tensors(o.Outputs(0)).ShapeLength() for o in ops), default=0),
        )
    return out


# Bytes per element of the tensor types our graphs use (schema TensorType: FLOAT32, FLOAT16, INT32, UINT8, INT64,
# BOOL, INT16, INT8, FLOAT64).
_ELEMENT_BYTES = {0: 4, 1: 2, 2: 4, 3: 1, 4: 8, 6: 1, 7: 2, 9: 1, 10: 8}


def live_peak_bytes(path: Path, signature: str) -> int:
    """The most activation bytes alive at once when the signature's ops run in the file's order, each tensor held
    from the op that writes it (graph inputs: from the start) to the last op that reads it (outputs: to the end),
    constants excluded: what an arena that reuses every dead buffer needs, to compare the process's memory with
    (docs/LONG-TEXTS.md). Reshapes count as copies, so it errs high."""
    model = read_model(path)
    g = model.Subgraphs(signature_subgraph(model, signature))

    def nbytes(t: int) -> int:
        tensor = g.Tensors(t)
        n = 1
        for d in (tensor.ShapeAsNumpy() if tensor.ShapeLength() else []):
            n *= int(d)
        return n * _ELEMENT_BYTES.get(tensor.Type(), 4)

    def constant(t: int) -> bool:
        b = g.Tensors(t).Buffer()
        return b > 0 and (model.Buffers(b).DataLength() > 0 or model.Buffers(b).Size() > 0)

    ops = [(list(o.InputsAsNumpy()), list(o.OutputsAsNumpy())) for o in (g.Operators(j) for j in range(g.OperatorsLength()))]
    last = {t: j for j, (ins, _) in enumerate(ops) for t in ins if t >= 0}
    outputs = set(int(t) for t in g.OutputsAsNumpy())
    live = {int(t): nbytes(t) for t in g.InputsAsNumpy()}
    peak = cur = sum(live.values())
    for j, (ins, outs) in enumerate(ops):
        for t in outs:
            if t >= 0 and not constant(t) and t not in live:
                live[t] = nbytes(t)
                cur += live[t]
        peak = max(peak, cur)
        for t in set(ins) | set(outs):
            if t in live and t not in outputs and last.get(t, -1) <= j:
                cur -= live.pop(t)
    return peak


def non_builtin_ops(path: Path) -> set[str]:
    """Ops a stock Android LiteRT runtime would not have: custom and Flex (select TF) ops."""
    return {op for op in op_names(path) if op.startswith(BUILTIN_ONLY_FORBIDDEN)}


def signatures_io(path: Path) -> dict[str, tuple[list[dict], list[dict]]]:
    """Every signature's (inputs, outputs) as the interpreter reports them: name, shape, dtype, in index order."""
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_path=str(path))

    def rows(details: dict) -> list[dict]:
        return [
            {"name": k, "shape": [int(x) for x in d["shape"]], "dtype": d["dtype"].__name__}
            for k, d in sorted(details.items(), key=lambda kv: kv[1]["index"])
        ]

    out = {}
    for name in interp.get_signature_list():
        runner = interp.get_signature_runner(name)
        out[name] = (rows(runner.get_input_details()), rows(runner.get_output_details()))
    return out


def signature_io(path: Path) -> tuple[str, list[dict], list[dict]]:
    """(signature name, inputs, outputs) of a single-signature file."""
    sigs = signatures_io(path)
    if len(sigs) != 1:
        raise ValueError(f"{path} has {len(sigs)} signatures; expected exactly one")
    name, (inputs, outputs) = next(iter(sigs.items()))
    return name, inputs, outputs


def sha256_file(path: Path, chunk: int = 1 << 22) -> str:
    with open(path, "rb") as f:
        return sha256_stream(f, chunk)


def sha256_stream(f, chunk: int = 1 << 22) -> str:
    """sha256 of what is left to read in a binary file object, read in chunks (page cache, not RSS)."""
    h = hashlib.sha256()
    while block := f.read(chunk):
        h.update(block)
    return h.hexdigest()


def weights_precision(data: bytes):
    """The Precision a .tflite's tensors say it was quantized to, read from the flatbuffer (no interpreter).

    The recipes of common.variants leave distinct marks: fp32 has no int8 tensor; int8w (weight-only) has int8
    weights that only DEQUANTIZE ops read; int8 (dynamic-range) has int8 weights read directly by compute ops
    (FULLY_CONNECTED, EMBEDDING_LOOKUP, ...).
    """
    from ai_edge_litert import schema_py_generated as schema

    from common.variants import Precision

    model = read_model(data)
    dequantize = {i for i, code in enumerate(builtin_codes(model)) if code == schema.BuiltinOperator.DEQUANTIZE}
    has_int8 = direct_int8 = False
    for s in range(model.SubgraphsLength()):
        g = model.Subgraphs(s)
        int8 = {i for i in range(g.TensorsLength()) if g.Tensors(i).Type() == schema.TensorType.INT8}
        if not int8:
            continue
        has_int8 = True
        for o in range(g.OperatorsLength()):
            op = g.Operators(o)
            if op.OpcodeIndex() not in dequantize and not int8.isdisjoint(op.InputsAsNumpy().tolist()):
                # One compute op reading int8 is the mark of dynamic-range int8: the rest cannot change it (a
                # full walk of a 19-signature bundle took seconds of a cold start).
                return Precision.INT8
    if not has_int8:
        return Precision.FP32
    return Precision.INT8 if direct_int8 else Precision.INT8W
