"""bench.json's schema version and the row names that its writers and its renderer share."""

# 1 since the first bench.json; later fields are additive and optional (old files still render).
SCHEMA_VERSION = 1
# End-to-end stage keys, in pipeline order (the names date from schema 1; their meaning is in render.py).
STAGES = ("split_tokenize", "labels_cold", "labels_cached", "inputs", "text_graph", "decode")
BASELINES = ("torch_upstream", "torch_wrapper", "ort_fp32", "ort_int8")
