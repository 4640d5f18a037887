"""Benchmarks of an artifacts folder (LiteRT against PyTorch and ONNX Runtime); run as `python -m scripts.bench`."""
