"""One GLiNERLiteRT shared by threads gives what sequential calls give (real LiteRT, every lazy path raced)."""

from __future__ import annotations

import random
import threading

import pytest

from tests.runtime_helpers import CORE_LABELS, EXTRA_TEXTS, LABELS_30, long_text
from validate.suite import FILL_SENTENCES

THREADS, CALLS = 4, 25


def _texts(rt) -> dict[str, str]:
    """Texts covering every path: the small bucket, the large one, windows, a word longer than any bucket."""
    mid = next(t for t in (" ".join(FILL_SENTENCES[:k]) for k in range(1, 40))
               if 256 < len(rt.text_tokenizer.encode(t.split(), is_pretokenized=True).ids) <= 450)
    return {
        "short": EXTRA_TEXTS[3], "emoji": EXTRA_TEXTS[2], "cjk": EXTRA_TEXTS[1], "mid": mid, "long": long_text(),
        "huge-word": "Maria Garcia wrote " + "abcdefghijklmnopqrstuvwxyz0123456789" * 40 + " in Paris.",
    }


def test_one_instance_shared_by_threads_equals_sequential(tiny_trained_artifacts):
    from runtime import GLiNERLiteRT

    def fresh():
        return GLiNERLiteRT.from_pretrained(tiny_trained_artifacts, "fp32", num_threads=1)

    sequential = fresh()
    texts = _texts(sequential)
    rnd = random.Random(0)
    jobs = [(name, labels) for name in texts for labels in ("core", "30")] * 9
    rnd.shuffle(jobs)
    jobs = jobs[: THREADS * CALLS]
    label_sets = {"core": CORE_LABELS, "30": LABELS_30}
    want = [sequential.predict_entities(texts[n], label_sets[lab], threshold=0.3) for n, lab in jobs]

    # What the jobs exercise, so the test cannot pass by exercising nothing.
    buckets, windowed, emb = set(), 0, sequential.encode_labels(CORE_LABELS)
    for name in texts:
        prep = sequential.prepare(texts[name])
        windowed += len(prep.windows) > 1
        buckets |= {sequential.build_calls(prep, w, emb)[0].bucket.variant.seq_len for w in prep.windows}
    assert buckets == {256, 512} and windowed >= 2 and {lab for _, lab in jobs} == {"core", "30"}
    assert sum(map(len, want)) > 100

    shared = fresh()  # nothing loaded or cached yet: graph loading, the label cache and the truncating tokenizer race
    got: list = [None] * len(jobs)
    errors: list = []
    start = threading.Barrier(THREADS)

    def worker(k: int) -> None:
        start.wait()
        for i in range(k, len(jobs), THREADS):
            name, lab = jobs[i]
            try:
                got[i] = shared.predict_entities(texts[name], label_sets[lab], threshold=0.3)
            except Exception as e:  # noqa: BLE001 - collected and reported below
                errors.append(f"job {i} ({name}, {lab}): {type(e).__name__}: {e}")

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, "\n".join(errors[:5])
    wrong = [f"job {i} {jobs[i]}" for i in range(len(jobs)) if got[i] != want[i]]
    assert not wrong, f"{len(wrong)} of {len(jobs)} threaded results differ from sequential ones: {wrong[:5]}"


@pytest.mark.parametrize("labels", ["core", "30"])
def test_encode_labels_from_threads_is_cached_once_equal(tiny_trained_artifacts, labels):
    from runtime import GLiNERLiteRT

    shared = GLiNERLiteRT.from_pretrained(tiny_trained_artifacts, "fp32", num_threads=1)
    chosen = {"core": CORE_LABELS, "30": LABELS_30}[labels]
    out: list = []
    start = threading.Barrier(THREADS)

    def worker():
        start.wait()
        out.append(shared.encode_labels(chosen))

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(out) == THREADS
    assert all((x == out[0]).all() for x in out)
    assert shared.encode_labels(chosen) is shared.encode_labels(chosen)
