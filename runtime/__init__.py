"""Torch-free GLiNER LiteRT inference."""

__all__ = ["GLiNERLiteRT"]


def __getattr__(name):
    # Lazy, so `python -m runtime --help` and `runtime.decoding` load neither tokenizers nor LiteRT.
    if name == "GLiNERLiteRT":
        from runtime.model import GLiNERLiteRT

        return GLiNERLiteRT
    raise AttributeError(f"module 'runtime' has no attribute {name!r}")
