"""Torch-free GLiNER LiteRT inference."""
