"""The process validate.gpu starts: one .tflite opened on LiteRT's GPU accelerator (the CPU takes the ops the GPU
refuses), its signatures run on request. Requests and replies are pickles on stdin / the original stdout; everything
native code prints goes to stderr, where LiteRT logs which ops the GPU took (validate.gpu reads it).

    python -m validate.gpu_child MODEL.tflite {fp32,fp16}
"""

from __future__ import annotations

import os
import pickle
import sys

# Printed to stderr once the model is compiled: the partition log is everything before it.
COMPILED = "== validate.gpu_child: compiled =="


def main(argv=None) -> int:
    path, precision = (argv or sys.argv[1:])[:2]
    reply = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # native code's prints must not corrupt the pickles

    def send(obj) -> None:
        pickle.dump(obj, reply, protocol=pickle.HIGHEST_PROTOCOL)
        reply.flush()

    from ai_edge_litert.compiled_model import CompiledModel
    from ai_edge_litert.hardware_accelerator import HardwareAccelerator
    from ai_edge_litert.options import GpuOptions, Options

    from runtime.engine import Engine

    # enforce_f32: ML Drift computes in float32 throughout; without it the GPU keeps fp16 intermediates.
    opts = Options(hardware_accelerators=HardwareAccelerator.GPU | HardwareAccelerator.CPU,
                   gpu_options=GpuOptions(enforce_f32=precision == "fp32"))
    try:
        compiled = CompiledModel.from_file(path, options=opts)
    except Exception as e:  # noqa: BLE001 - the parent records the error text
        send({"error": f"{type(e).__name__}: {e}"})
        return 1
    print(COMPILED, file=sys.stderr, flush=True)
    engine = Engine(compiled)
    send({"ok": True, "fully_accelerated": bool(compiled.is_fully_accelerated())})
    stdin = sys.stdin.buffer
    while True:
        try:
            signature, arrays = pickle.load(stdin)
        except EOFError:
            return 0
        try:
            send({"outputs": engine.run(signature, arrays)})
        except Exception as e:  # noqa: BLE001
            send({"error": f"{type(e).__name__}: {e}"})


if __name__ == "__main__":
    raise SystemExit(main())
