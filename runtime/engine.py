"""One .tflite opened once as a LiteRT CompiledModel: every signature in it shares one copy of the packed weights,
persisted in an XNNPACK weight cache so the next launch neither packs again nor pays a slow first call."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class _Signature:
    """A signature's run state: its index, its input/output order and reusable buffers (guarded by `lock`)."""

    index: int
    inputs: list[tuple[str, tuple[int, ...], np.dtype]]
    outputs: list[tuple[str, tuple[int, ...], np.dtype]]
    in_buffers: list
    out_buffers: list
    lock: threading.Lock


def _options(num_threads: int | None, cache_file: str | None):
    from ai_edge_litert.cpu_options import CpuOptions
    from ai_edge_litert.hardware_accelerator import HardwareAccelerator
    from ai_edge_litert.options import Options

    cpu = CpuOptions(num_threads=num_threads or 0, xnnpack_weight_cache_path=cache_file or "")
    return Options(hardware_accelerators=HardwareAccelerator.CPU, cpu_options=cpu)


class Engine:
    """A CompiledModel over a model file or bytes the caller has verified.

    XNNPACK packs each weight once for the whole model, whichever signatures use it; with a cache path the
    packed weights live in that file (memory-mapped, shared by the signatures and by later launches). XNNPACK
    checks only a cache's header and sizes: runtime/cache.py proves the bytes before a path gets here.
    """

    def __init__(self, compiled, keep=None, cache_file: Path | None = None):
        self._cm = compiled
        self._keep = keep  # the model bytes of from_bytes: LiteRT reads them for the model's lifetime
        self.cache_file = cache_file
        self._sigs: dict[str, _Signature] = {}
        self._lock = threading.Lock()
        self.signatures = self._cm.get_signature_list()  # name -> {"inputs": [...], "outputs": [...]}

    @classmethod
    def from_bytes(cls, model: bytes, num_threads: int | None = None, cache: str | None = None) -> "Engine":
        """The model from bytes (the ones the caller hashed run, whatever happens to the file later); `cache`: the
        weight cache path LiteRT opens (verified or fresh), None for none."""
        from ai_edge_litert.compiled_model import CompiledModel

        return cls(CompiledModel.from_buffer(model, options=_options(num_threads, cache)), model)

    @classmethod
    def from_file(cls, path: str, num_threads: int | None = None, cache: str | None = None) -> "Engine":
        """The model memory-mapped from `path` (page cache: shared, reclaimable); `cache` as in from_bytes."""
        from ai_edge_litert.compiled_model import CompiledModel

        return cls(CompiledModel.from_file(path, options=_options(num_threads, cache)), None)

    def io(self, signature: str) -> tuple[list[dict], list[dict]]:
        """(inputs, outputs) of a signature in index order: name, shape, dtype as LiteRT reports them."""
        def rows(details: dict) -> list[dict]:
            return [{"name": k, "shape": [int(x) for x in d["shape"]], "dtype": str(d["dtype"])}
                    for k, d in sorted(details.items(), key=lambda kv: kv[1]["index"])]

        return rows(self._cm.get_input_tensor_details(signature)), rows(self._cm.get_output_tensor_details(signature))

    def _signature(self, name: str) -> _Signature:
        with self._lock:
            sig = self._sigs.get(name)
            if sig is None:
                if name not in self.signatures:
                    raise ValueError(f"the model has no signature {name!r}; it has {', '.join(self.signatures)}")
                index = self._cm.get_signature_index(name)
                ins = self._cm.get_input_tensor_details(name)
                outs = self._cm.get_output_tensor_details(name)
                sig = _Signature(
                    index=index,
                    inputs=[(i, tuple(int(x) for x in ins[i]["shape"]), np.dtype(ins[i]["dtype"]))
                            for i in self.signatures[name]["inputs"]],
                    outputs=[(o, tuple(int(x) for x in outs[o]["shape"]), np.dtype(outs[o]["dtype"]))
                             for o in self.signatures[name]["outputs"]],
                    in_buffers=self._cm.create_input_buffers(index),
                    out_buffers=self._cm.create_output_buffers(index),
                    lock=threading.Lock(),
                )
                self._sigs[name] = sig
            return sig

    def run(self, signature: str, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """One call: inputs by name -> outputs by name (fresh arrays). Calls of one signature are serialized
        (they share its buffers); different signatures may run at once."""
        sig = self._signature(signature)
        feeds = []
        for name, shape, dtype in sig.inputs:
            if name not in arrays:
                raise ValueError(f"signature {signature!r} needs input {name!r}")
            a = np.asarray(arrays[name])
            if a.shape != shape:
                raise ValueError(f"signature {signature!r} input {name!r} must have shape {list(shape)}, got {list(a.shape)}")
            # The buffer takes raw bytes: cast to the graph's dtype (ints are range-checked by their builders).
            a = np.ascontiguousarray(a, dtype=dtype)
            # ai-edge-litert 2.3's TensorBuffer.write refuses int64 arrays (seed files' inputs) though the tensor
            # is int64: the same bytes go in as twice as many int32 (measured equal to Interpreter's feed).
            feeds.append(a.view(np.int32) if a.dtype == np.int64 else a)
        with sig.lock:
            for buf, a in zip(sig.in_buffers, feeds):
                buf.write(a)
            self._cm.run_by_index(sig.index, sig.in_buffers, sig.out_buffers)
            return {
                name: buf.read(int(np.prod(shape)), dtype).reshape(shape)
                for buf, (name, shape, dtype) in zip(sig.out_buffers, sig.outputs)
            }
