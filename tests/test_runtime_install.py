"""The runtime installs alone: predicting imports only the standard library, requirements-runtime.txt's packages
(and what they declare they need), and this repository's runtime and common packages."""

from __future__ import annotations

import importlib.metadata as md
import json
import re
import subprocess
import sys

from tests.conftest import ROOT
from tests.runtime_helpers import CORE_LABELS, env, long_text

OURS = {"runtime", "common"}


def _requirements() -> list[str]:
    names = []
    for line in (ROOT / "requirements-runtime.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            m = re.fullmatch(r"([A-Za-z0-9_.-]+)==([^\s;]+)", line)
            assert m, f"requirements-runtime.txt: {line!r} is not pinned (name==version)"
            assert md.version(m.group(1)) == m.group(2), f"{m.group(1)}: the venv has {md.version(m.group(1))}"
            names.append(m.group(1))
    return names


def _closure(dists: list[str]) -> set[str]:
    """The distributions `dists` need, their own requirements followed (extras not requested are skipped)."""
    norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()  # noqa: E731
    seen, todo = set(), [norm(d) for d in dists]
    while todo:
        d = todo.pop()
        if d in seen:
            continue
        seen.add(d)
        for req in md.requires(d) or []:
            if "extra ==" in req.replace('"', "'").replace("extra==", "extra =="):
                continue
            name = re.match(r"[A-Za-z0-9_.-]+", req).group()
            try:
                md.distribution(name)
            except md.PackageNotFoundError:
                continue  # a platform-conditional dependency not installed here cannot be imported either
            todo.append(norm(name))
    return seen


def test_requirements_runtime_is_the_runtime_stack():
    assert {re.sub(r"[-_.]+", "-", n).lower() for n in _requirements()} == {"numpy", "tokenizers", "ai-edge-litert"}


def test_prediction_imports_only_the_runtime_requirements(tiny_trained_artifacts):
    code = (
        "import sys, json\n"
        "before = set(sys.modules)\n"
        "from runtime import GLiNERLiteRT\n"
        f"m = GLiNERLiteRT.from_pretrained({str(tiny_trained_artifacts)!r}, 'int8')\n"
        f"ents = m.predict_entities({long_text()!r}, {CORE_LABELS!r})\n"
        "new = sorted({k.split('.')[0] for k in set(sys.modules) - before})\n"
        "print(json.dumps({'n': len(ents), 'modules': new}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env(), cwd=ROOT,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["n"] > 0
    allowed = _closure(_requirements())
    owners = md.packages_distributions()  # top-level module -> distributions that install it
    outside = []
    for mod in res["modules"]:
        if mod in sys.stdlib_module_names or mod in OURS or mod == "__main__":
            continue
        dists = {re.sub(r"[-_.]+", "-", d).lower() for d in owners.get(mod, [])}
        if not dists & allowed:
            outside.append(f"{mod} (from {', '.join(sorted(dists)) or 'no installed distribution'})")
    assert not outside, f"predicting imported modules outside requirements-runtime.txt: {outside}"
    assert {"numpy", "tokenizers", "ai_edge_litert"} <= set(res["modules"])
