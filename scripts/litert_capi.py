"""ctypes bindings of the LiteRT C API in the ai-edge-litert wheel's libLiteRt.so (headers: google-ai-edge/LiteRT
litert/c/, v2.2.0 tag, the nearest to ai-edge-litert 2.3.0): the types and functions scripts/profile_ops.py calls."""

from __future__ import annotations

import ctypes as C
import importlib.util
from pathlib import Path

import numpy as np

# --- C API types (litert/c/*.h) -------------------------------------------------------------------------------

P = C.c_void_p
STATUS_OK = 0
HW_CPU = 1  # kLiteRtHwAcceleratorCpu
LOCK_WRITE = 1  # kLiteRtTensorBufferLockModeWrite
# LiteRtProfilerEventType (litert_profiler_event.h)
EV_DEFAULT, EV_OPERATOR, EV_DELEGATE_PROFILED = 1, 2, 8
# LiteRtElementType values (= TfLiteType) this script can fill
ELEMENT_DTYPES = {1: np.float32, 2: np.int32, 3: np.uint8, 4: np.int64, 6: np.bool_, 7: np.int16, 9: np.int8,
                  10: np.float16}


class LiteRtLayout(C.Structure):
    # rank:7 and has_strides:1 share one unsigned int (litert_layout.h asserts sizeof == 68)
    _fields_ = [("bits", C.c_uint32), ("dimensions", C.c_int32 * 8), ("strides", C.c_uint32 * 8)]


class LiteRtRankedTensorType(C.Structure):
    _fields_ = [("element_type", C.c_int32), ("layout", LiteRtLayout)]


class LiteRtMemoryUsage(C.Structure):
    _fields_ = [("total_allocated_bytes", C.c_size_t), ("in_use_allocated_bytes", C.c_size_t),
                ("private_footprint_bytes", C.c_size_t)]


class ProfiledEventData(C.Structure):
    _fields_ = [("tag", C.c_char_p), ("event_type", C.c_int), ("start_timestamp_us", C.c_uint64),
                ("elapsed_time_us", C.c_uint64), ("begin_mem_usage", LiteRtMemoryUsage),
                ("end_mem_usage", LiteRtMemoryUsage), ("event_metadata1", C.c_uint64),
                ("event_metadata2", C.c_uint64), ("event_source", C.c_int)]


# the headers' static_asserts, checked here because a silent layout mismatch would corrupt memory
assert C.sizeof(LiteRtLayout) == 68 and C.sizeof(LiteRtRankedTensorType) == 72

PAYLOAD_DELETER = C.CFUNCTYPE(None, P)
_NO_DELETE = PAYLOAD_DELETER(lambda p: None)  # payloads are Python buffers kept alive by Profiler

SIGNATURES = {
    # name: (argtypes); every function returns LiteRtStatus (int) unless listed in VOID
    "LiteRtCreateEnvironment": [C.c_int, P, C.POINTER(P)],
    "LiteRtDestroyEnvironment": [P],
    "LiteRtCreateModelFromFile": [P, C.c_char_p, C.POINTER(P)],
    "LiteRtDestroyModel": [P],
    "LiteRtGetNumModelSignatures": [P, C.POINTER(C.c_size_t)],
    "LiteRtGetModelSignature": [P, C.c_size_t, C.POINTER(P)],
    "LiteRtGetSignatureKey": [P, C.POINTER(C.c_char_p)],
    "LiteRtGetSignatureSubgraph": [P, C.POINTER(P)],
    "LiteRtGetNumSignatureInputs": [P, C.POINTER(C.c_size_t)],
    "LiteRtGetNumSignatureOutputs": [P, C.POINTER(C.c_size_t)],
    "LiteRtGetSignatureInputName": [P, C.c_size_t, C.POINTER(C.c_char_p)],
    "LiteRtGetSignatureOutputName": [P, C.c_size_t, C.POINTER(C.c_char_p)],
    "LiteRtGetSignatureInputTensorByIndex": [P, C.c_size_t, C.POINTER(P)],
    "LiteRtGetSignatureOutputTensorByIndex": [P, C.c_size_t, C.POINTER(P)],
    "LiteRtGetRankedTensorType": [P, C.POINTER(LiteRtRankedTensorType)],
    "LiteRtGetNumSubgraphOps": [P, C.POINTER(C.c_size_t)],
    "LiteRtGetSubgraphOp": [P, C.c_size_t, C.POINTER(P)],
    "LiteRtGetNumOpOutputs": [P, C.POINTER(C.c_size_t)],
    "LiteRtGetOpOutput": [P, C.c_size_t, C.POINTER(P)],
    "LiteRtGetTensorName": [P, C.POINTER(C.c_char_p)],
    "LiteRtCreateOptions": [C.POINTER(P)],
    "LiteRtDestroyOptions": [P],
    "LiteRtSetOptionsHardwareAccelerators": [P, C.c_int],
    "LiteRtCreateOpaqueOptions": [C.c_char_p, P, PAYLOAD_DELETER, C.POINTER(P)],
    "LiteRtAddOpaqueOptions": [P, P],
    "LiteRtCreateCompiledModel": [P, P, P, C.POINTER(P)],
    "LiteRtDestroyCompiledModel": [P],
    "LiteRtGetCompiledModelInputBufferRequirements": [P, C.c_size_t, C.c_size_t, C.POINTER(P)],
    "LiteRtGetCompiledModelOutputBufferRequirements": [P, C.c_size_t, C.c_size_t, C.POINTER(P)],
    "LiteRtCreateManagedTensorBufferFromRequirements": [P, C.POINTER(LiteRtRankedTensorType), P, C.POINTER(P)],
    "LiteRtDestroyTensorBuffer": [P],
    "LiteRtGetTensorBufferPackedSize": [P, C.POINTER(C.c_size_t)],
    "LiteRtLockTensorBuffer": [P, C.POINTER(P), C.c_int],
    "LiteRtUnlockTensorBuffer": [P],
    "LiteRtRunCompiledModel": [P, C.c_size_t, C.c_size_t, C.POINTER(P), C.c_size_t, C.POINTER(P)],
    "LiteRtCompiledModelGetProfiler": [P, C.POINTER(P)],
    "LiteRtStartProfiler": [P],
    "LiteRtStopProfiler": [P],
    "LiteRtResetProfiler": [P],
    "LiteRtGetNumProfilerEvents": [P, C.POINTER(C.c_int)],
    "LiteRtGetProfilerEvents": [P, C.c_int, C.POINTER(ProfiledEventData)],
}
VOID = {"LiteRtDestroyEnvironment", "LiteRtDestroyModel", "LiteRtDestroyOptions", "LiteRtDestroyCompiledModel",
        "LiteRtDestroyTensorBuffer"}


def litert_lib_path() -> Path:
    """libLiteRt.so of the installed wheel, found without importing ai_edge_litert (which loads its own copy)."""
    spec = importlib.util.find_spec("ai_edge_litert")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("ai_edge_litert is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "libLiteRt.so"
    if not path.is_file():
        raise RuntimeError(f"{path} is missing: this ai-edge-litert wheel ships no LiteRT C API")
    return path


def load_lib(path: Path | None = None) -> C.CDLL:
    lib = C.CDLL(str(path or litert_lib_path()))
    for name, argtypes in SIGNATURES.items():
        fn = getattr(lib, name)  # AttributeError here = the wheel's C API changed
        fn.argtypes, fn.restype = argtypes, (None if name in VOID else C.c_int)
    return lib
