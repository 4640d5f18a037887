"""Label banks are proven before use: a bank's record covers its labels and rows (edited ones are refused naming
what changed), and a hostile file is refused with a BankError before anything it declares is allocated."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from runtime.bank import BankError, LabelBank
from tests.conftest import CORE_LABELS, ROOT
from tests.runtime_helpers import env

TEXT = "Maria Garcia joined Acme Corp in Paris on May 3, 2021."


@pytest.fixture(scope="module")
def rt(tiny_trained_artifacts):
    from runtime import GLiNERLiteRT

    return GLiNERLiteRT.from_pretrained(tiny_trained_artifacts, "fp32", num_threads=1)


@pytest.fixture
def saved(rt, tmp_path):
    return rt.build_bank(CORE_LABELS).save(tmp_path / "bank.npz")


def _members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def _npy(array) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def _rewrite(path, members: dict[str, bytes], compress=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression=compress) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def _array(members, name):
    return np.load(io.BytesIO(members[name]), allow_pickle=False)


def test_reordered_rows_with_the_record_left_as_it_was_are_refused(rt, saved):
    m = _members(saved)
    emb = _array(m, "embeds.npy")
    m["embeds.npy"] = _npy(emb[[1, 0, *range(2, len(emb))]])
    with pytest.raises(BankError, match="embedding rows are not the ones it was saved with.*embeds_sha256"):
        rt.load_bank(_rewrite(saved, m))


def test_edited_labels_are_refused(rt, saved):
    m = _members(saved)
    labels = _array(m, "labels.npy").tolist()
    labels[0], labels[1] = labels[1], labels[0]
    m["labels.npy"] = _npy(np.array(labels, dtype=str))
    with pytest.raises(BankError, match="its labels are not the ones it was saved with.*labels_sha256"):
        rt.load_bank(_rewrite(saved, m))


def test_a_version_1_bank_without_digests_is_refused_with_the_fix(rt, saved):
    m = _members(saved)
    meta = json.loads(str(_array(m, "meta.npy")[()]))
    meta["version"] = 1
    del meta["labels_sha256"], meta["embeds_sha256"]
    m["meta.npy"] = _npy(np.array(json.dumps(meta)))
    with pytest.raises(BankError, match="bank version 1.*--save-bank"):
        rt.load_bank(_rewrite(saved, m))


def test_a_plain_npy_is_refused(rt, tmp_path):
    path = tmp_path / "embeds.npy"
    np.save(path, np.zeros((3, 4), np.float32))
    with pytest.raises(BankError, match="not a label bank"):
        rt.load_bank(path)


def _header_only(shape, dtype) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": np.dtype(dtype).str, "fortran_order": False, "shape": shape})
    return buf.getvalue() + b"\0" * 64


@pytest.mark.parametrize("member, shape, dtype, match", [
    ("embeds.npy", (10**14, 32), "<f4", "beyond what a bank holds"),
    ("labels.npy", (8,), "<U1000000", "labels must be a 1-D unicode array"),
    ("embeds.npy", (8, 32), "<f4", r"declares \[8, 32\] <f4 \(1,024 bytes\) but the member holds 64"),
], ids=["1e14-rows", "U1000000", "short-member"])
def test_a_header_declaring_more_than_the_file_holds_is_refused_before_any_allocation(rt, saved, member, shape,
                                                                                     dtype, match):
    m = _members(saved)
    m[member] = _header_only(shape, dtype)
    with pytest.raises(BankError, match=match):
        rt.load_bank(_rewrite(saved, m))


def test_a_compressed_bank_is_refused_before_it_inflates(rt, saved, tmp_path):
    """A deflated member can inflate to any size: refused from the zip's own record, before a byte is inflated."""
    m = _members(saved)
    bomb = tmp_path / "bomb.npz"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name in ("labels.npy", "meta.npy"):
            z.writestr(name, m[name])
        with z.open("embeds.npy", "w") as f:  # 64 MiB of rows, streamed: the file stays small
            f.write(_header_only((2**14, 1024), "<f4")[:-64])
            for _ in range(64):
                f.write(bytes(2**20))
    assert bomb.stat().st_size < 2**20
    with pytest.raises(BankError, match="is compressed"):
        rt.load_bank(bomb)


def test_a_hand_built_bank_of_labels_one_to_the_model_is_refused(rt):
    good = rt.build_bank(CORE_LABELS)
    bank = LabelBank(("person", "Person"), good.embeds[:2], good.weights_sha256, good.precision,
                     good.labels_tokenizer_sha256)
    with pytest.raises(BankError, match="'person' and 'Person' are one entity type"):
        rt.predict_entities(TEXT, bank)


def test_huge_embeddings_are_refused_not_decoded_to_nothing(rt):
    good = rt.build_bank(CORE_LABELS)
    huge = np.full_like(good.embeds, 3e38)
    bank = LabelBank(good.labels, huge, good.weights_sha256, good.precision, good.labels_tokenizer_sha256)
    for labels in (bank, ):
        with pytest.raises(ValueError, match="overflow float32"):
            rt.predict_entities(TEXT, labels)
    with pytest.raises(ValueError, match="overflow float32"):
        rt.predict_with_embeds(TEXT, huge, list(good.labels))


def test_save_bank_into_a_folder_is_a_named_error(rt, tiny_trained_artifacts, tmp_path):
    with pytest.raises(BankError, match="is a folder"):
        rt.build_bank(CORE_LABELS).save(tmp_path)
    r = subprocess.run([sys.executable, "-m", "runtime", "--model", str(tiny_trained_artifacts), "--labels",
                        "person,city", "--save-bank", str(tmp_path)], cwd=ROOT, env=env(), capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "is a folder" in r.stderr
