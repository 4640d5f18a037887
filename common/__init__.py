"""Shared vocabulary of gliner-litert: the variant table and the input/output contract (no torch)."""
