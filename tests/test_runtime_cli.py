"""python -m runtime as a user pipes it: JSON lines out, one error line per bad input, quiet under `head`."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.runtime_helpers import env, long_text

TEXT = "Maria Garcia joined Acme Corp in Paris on May 3, 2021."


@pytest.fixture(scope="module")
def cli(tiny_trained_artifacts):
    base = [sys.executable, "-m", "runtime", "--model", str(tiny_trained_artifacts),
            "--labels", "person,organization,location"]

    def run(*args, stdin: bytes | None = None, labels: str | None = None):
        cmd = list(base) if labels is None else base[:-1] + [labels]
        return subprocess.run(cmd + list(args), input=stdin if stdin is not None else b"", capture_output=True,
                              env=env(), cwd=ROOT, timeout=120)

    return run


def _lines(out) -> list[dict]:
    return [json.loads(x) for x in out.stdout.decode().splitlines()]


def _errors(out) -> list[str]:
    return [x for x in out.stderr.decode().splitlines() if x.startswith("error:")]


def test_texts_from_arguments_and_stdin(cli):
    out = cli("--threshold", "0.3", TEXT)
    assert out.returncode == 0, out.stderr
    (line,) = _lines(out)
    assert line["text"] == TEXT and {e["label"] for e in line["entities"]} >= {"person", "location"}
    out = cli("--nested", "--multi-label", stdin=f"{TEXT}\n\nOslo welcomed it.\n".encode())
    assert out.returncode == 0, out.stderr
    lines = _lines(out)
    assert len(lines) == 3 and lines[1]["entities"] == []


def test_crlf_input_is_stripped(cli):
    out = cli(stdin=f"{TEXT}\r\nOslo welcomed it.\r\n".encode())
    assert out.returncode == 0, out.stderr
    assert [x["text"] for x in _lines(out)] == [TEXT, "Oslo welcomed it."]
    assert out.stdout.decode().count("\\r") == 0


def test_bad_lines_are_reported_and_the_rest_tagged(cli):
    """Invalid UTF-8 on line 2 and a text over one call with --on-overflow error on line 3: one error line each,
    lines 1 and 4 still tagged, exit 1."""
    stdin = TEXT.encode() + b"\nbad \xff\xfe bytes\n" + long_text().encode() + b"\nOslo welcomed it.\n"
    out = cli("--on-overflow", "error", stdin=stdin)
    assert out.returncode == 1, out.stderr
    assert [x["text"] for x in _lines(out)] == [TEXT, "Oslo welcomed it."]
    errors = _errors(out)
    assert len(errors) == 2, out.stderr
    assert errors[0].startswith("error: line 2: not valid UTF-8 (byte 0xFF at byte 4)") and "iconv" in errors[0]
    assert errors[1].startswith("error: line 3: the text has") and "on_overflow='window'" in errors[1]
    assert "Traceback" not in out.stderr.decode()


def test_invalid_utf8_argument(cli):
    out = cli(TEXT.encode(), b"caf\xe9 in Paris")
    assert out.returncode == 1, out.stderr
    assert [x["text"] for x in _lines(out)] == [TEXT]
    (error,) = _errors(out)
    assert error.startswith("error: argument 2: the text is not valid UTF-8 (byte 0xE9 at character 3)")
    assert "iconv" in error


def test_bad_labels_stop_before_any_text(cli):
    out = cli(TEXT, labels="person,Person")
    assert out.returncode == 2 and out.stdout == b""
    assert "'person' and 'Person' are one entity type" in out.stderr.decode()
    out = cli(TEXT, labels=b"person,caf\xe9")
    assert out.returncode == 2 and "error: --labels is not valid UTF-8 (byte 0xE9" in out.stderr.decode()


def test_closed_pipe_exits_quietly(tiny_trained_artifacts, tmp_path):
    """`python -m runtime ... | head -1`: the reader goes away; no BrokenPipeError traceback, exit 0."""
    cmd = [sys.executable, "-m", "runtime", "--model", str(tiny_trained_artifacts), "--labels", "person,location"]
    texts = tmp_path / "texts.txt"
    texts.write_bytes((TEXT + "\n").encode() * 2000)  # output far past what a pipe buffer holds
    with open(texts, "rb") as stdin:
        proc = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env(), cwd=ROOT)
    first = proc.stdout.readline()
    proc.stdout.close()
    assert proc.wait(timeout=120) == 0
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert json.loads(first)["text"] == TEXT
    assert "Traceback" not in err and "BrokenPipe" not in err, err
