// Span representations x prompt vectors -> the candidates decoding keeps, on the host in float32: a port of
// runtime/scoring.py (docs/RUNTIME.md "Any number of labels"). The comparison in logit space only prefilters;
// the decision is the float32 sigmoid(logit) > threshold.

import { sigmoid32 } from "./decoding.js";

const PREFILTER_MARGIN = 1e-5;

function logitFloor(threshold) {
  const p = threshold - PREFILTER_MARGIN;
  return p <= 0 ? -Infinity : Math.log(p / (1 - p));
}

/**
 * reps: Float32Array [n, H]; prompts: Float32Array [L, H]. Returns { rows, classes, probs } of every (row,
 * label) whose probability passes, row-major; with bestLabelOnly, per row only its highest-probability label
 * (the first of equal ones), as score_candidates(best_label_only=True).
 */
export function scoreCandidates(reps, n, prompts, numLabels, hidden, threshold, bestLabelOnly) {
  const floor = logitFloor(threshold);
  const thr = Math.fround(threshold);
  const rows = [], classes = [], probs = [];
  const logits = new Float32Array(numLabels);
  for (let r = 0; r < n; r++) {
    const ro = r * hidden;
    let maxLogit = -Infinity;
    for (let c = 0; c < numLabels; c++) {
      const po = c * hidden;
      let acc = 0;
      for (let h = 0; h < hidden; h++) acc += reps[ro + h] * prompts[po + h];
      logits[c] = acc;
      if (logits[c] > maxLogit) maxLogit = logits[c];
    }
    if (bestLabelOnly) {
      if (!(maxLogit > floor)) continue;
      let best = -1;
      let bestP = -1;
      for (let c = 0; c < numLabels; c++) {
        const p = sigmoid32(logits[c]);
        if (p > bestP) {
          bestP = p;
          best = c;
        }
      }
      if (bestP > thr) {
        rows.push(r); classes.push(best); probs.push(bestP);
      }
      continue;
    }
    for (let c = 0; c < numLabels; c++) {
      if (!(logits[c] > floor)) continue;
      const p = sigmoid32(logits[c]);
      if (p > thr) {
        rows.push(r); classes.push(c); probs.push(p);
      }
    }
  }
  return { rows, classes, probs };
}

/** Whether every value is finite. */
export function allFinite(a) {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}
