// Upstream gliner's greedy span decoding, a port of runtime/decoding.py (docs/RUNTIME.md "Decoding"): float32
// probabilities, candidates in row-major (start, width, class) order, a stable sort by descending score, greedy
// flat or nested selection, then a stable sort by start word.

const f32 = Math.fround;

/** The logistic function in float32, as decoding.sigmoid (each operation rounded to float32). */
export function sigmoid32(x) {
  return f32(1 / f32(1 + f32(Math.exp(-f32(x)))));
}

/**
 * Decode candidates: arrays (or typed arrays) of start word, width index, class index and float32 probability,
 * in row-major order. Returns [[startWord, endWordInclusive, classIndex, score], ...] ordered by start.
 */
export function decodeCandidates(sIdx, kIdx, cIdx, scores, numWords, flatNer = true, multiLabel = false) {
  const n = scores.length;
  if (n === 0) return [];
  const order = Array.from({ length: n }, (_, i) => i);
  // Array.prototype.sort is stable (ES2019): equal scores keep the candidate order, as Python's sorted().
  order.sort((a, b) => scores[b] - scores[a]);
  const starts = order.map((i) => sIdx[i]);
  const ends = order.map((i) => sIdx[i] + kIdx[i]);
  const keep = flatNer ? greedyFlat(starts, ends, numWords, multiLabel) : greedyNested(starts, ends, multiLabel);
  const selected = keep.map((j) => [starts[j], ends[j], cIdx[order[j]], scores[order[j]]]);
  selected.sort((a, b) => a[0] - b[0]);
  return selected;
}

function greedyFlat(starts, ends, numWords, multiLabel) {
  const covered = new Uint8Array(Math.max(numWords, 0));
  const kept = new Set();
  const keep = [];
  for (let i = 0; i < starts.length; i++) {
    const s = starts[i];
    const e = ends[i];
    if (multiLabel && kept.has(s * 1048576 + e)) {
      keep.push(i);
      continue;
    }
    let clash = false;
    for (let w = s; w <= e; w++) if (covered[w]) { clash = true; break; }
    if (clash) continue;
    covered.fill(1, s, e + 1);
    kept.add(s * 1048576 + e);
    keep.push(i);
  }
  return keep;
}

function greedyNested(starts, ends, multiLabel) {
  const kept = [];
  const keep = [];
  for (let i = 0; i < starts.length; i++) {
    const s = starts[i];
    const e = ends[i];
    let conflict = false;
    for (const [a, b] of kept) {
      if (a === s && b === e) {
        if (!multiLabel) { conflict = true; break; }
        continue;
      }
      if (s <= b && a <= e && !((s <= a && b <= e) || (a <= s && e <= b))) { conflict = true; break; }
    }
    if (!conflict) {
      kept.push([s, e]);
      keep.push(i);
    }
  }
  return keep;
}

/**
 * decode_spans: logits as a flat Float32Array [rows, maxWidth, C] (row-major); rows past numWords, and spans
 * ending past the last word, are ignored; -Infinity marks spans a window never scored.
 */
export function decodeLogits(logits, rows, maxWidth, numClasses, numWords, threshold, flatNer, multiLabel) {
  const thr = f32(threshold);
  const s = [], k = [], c = [], p = [];
  for (let si = 0; si < Math.min(rows, numWords); si++) {
    for (let ki = 0; ki < maxWidth && si + ki < numWords; ki++) {
      const base = (si * maxWidth + ki) * numClasses;
      for (let ci = 0; ci < numClasses; ci++) {
        const prob = sigmoid32(logits[base + ci]);
        if (prob > thr) {
          s.push(si); k.push(ki); c.push(ci); p.push(prob);
        }
      }
    }
  }
  return decodeCandidates(s, k, c, p, numWords, flatNer, multiLabel);
}
