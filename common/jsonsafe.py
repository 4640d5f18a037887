"""JSON from files others can edit, parsed only once its nesting depth is known to be sane."""

from __future__ import annotations

import json
import re

# Strings first (they may hold brackets), then every bracket: the depth json's recursive parser would reach.
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_BRACKET = re.compile(r"[\[\]{}]")
MAX_DEPTH = 64  # a manifest, report or bank record nests a few levels; 100,000 `[` overflow the C stack


class TooDeep(ValueError):
    """JSON nested deeper than MAX_DEPTH."""


def loads(text: str, max_depth: int = MAX_DEPTH):
    """json.loads, refusing (TooDeep) a document nested deeper than `max_depth`: json's C parser recurses once per
    level, and with a raised recursion limit (torch raises it) 100,000 levels crash the process, not raise."""
    depth = deepest = 0
    for m in _BRACKET.finditer(_STRING.sub("", text)):
        if m.group() in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > max_depth:
                    raise TooDeep(f"JSON nested deeper than {max_depth} levels")
        else:
            depth -= 1
    return json.loads(text)
