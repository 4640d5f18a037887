"""The one place that knows upstream gliner: resolving and loading a model, and every attribute path inside it.

When a gliner release moves an attribute, this package changes and nothing else does. It imports torch and
gliner lazily; `runtime` never imports it.
"""
