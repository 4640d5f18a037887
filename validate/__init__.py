"""Runs every .tflite in a manifest against upstream gliner and reports numbers and verdicts (never converts)."""
