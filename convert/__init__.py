"""Exports GLiNER bi-encoder variants to .tflite with litert-torch and writes manifest.json (judges no numerics)."""
