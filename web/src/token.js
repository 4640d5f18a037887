// Token-level models (span_mode "token_level", gliner's BiEncoderTokenGLiNER): the token graph per window and
// config.max_types labels, each word's start/end/inside logits taken from the window owning it, decoded as
// upstream's TokenDecoder. A port of runtime/token_path.py and runtime/token_decoding.py (docs/RUNTIME.md
// "Token-level models").
import { decodeCandidates, sigmoid32 } from "./decoding.js";

const f32 = Math.fround;

/**
 * TokenDecoder on logits as a flat Float32Array [numWords, C, 3] (start, end, inside): candidates in upstream's
 * order (each start in (word, class) order, then each end of its class at or after it), starts and ends
 * `p > float32(threshold)`, every inside `p >= threshold` compared as doubles (Python floats upstream), score
 * min(inside..., start, end); then the span decoder's greedy. Returns [[start, end, class, score], ...].
 */
export function decodeTokenLogits(logits, numWords, numClasses, threshold, flatNer, multiLabel) {
  const thr = f32(threshold);
  const C = numClasses;
  const p = new Float64Array(numWords * C * 3);
  for (let i = 0; i < p.length; i++) p[i] = sigmoid32(logits[i]);
  const at = (w, c, ch) => p[(w * C + c) * 3 + ch];
  const endsOf = Array.from({ length: C }, () => []);
  for (let w = 0; w < numWords; w++) for (let c = 0; c < C; c++) if (at(w, c, 1) > thr) endsOf[c].push(w);
  const s = [], k = [], cl = [], sc = [];
  for (let st = 0; st < numWords; st++) {
    for (let c = 0; c < C; c++) {
      if (!(at(st, c, 0) > thr) || !endsOf[c].length) continue;
      // Inside scores from st on while none is below the threshold; a running minimum gives each span's min.
      let limit = st;
      while (limit < numWords && !(at(limit, c, 2) < threshold)) limit++;
      const runMin = [];
      for (let w = st, m = Infinity; w < limit; w++) runMin.push((m = Math.min(m, at(w, c, 2))));
      for (const ed of endsOf[c]) {
        if (ed < st || ed >= limit) continue;
        s.push(st); k.push(ed - st); cl.push(c);
        sc.push(Math.min(runMin[ed - st], at(st, c, 0), at(ed, c, 1)));
      }
    }
  }
  return decodeCandidates(s, k, cl, sc, numWords, flatNer, multiLabel);
}

/** The token graphs of `model` (a GLiNER object) on a prepared text and N label embeddings -> decoded spans. */
export async function tokenPath(model, prepared, N, embeds, opts) {
  const { maxTypes: T, hiddenSize: H } = model.config;
  const numWords = prepared.windows[prepared.windows.length - 1].stop;
  const logits = new Float32Array(numWords * N * 3);
  for (const w of prepared.windows) {
    const { bucket, feed } = model._encodeWindow(prepared, w, model.textBuckets);
    for (let g = 0; g < N; g += T) {
      const k = Math.min(T, N - g);
      const lab = new Float32Array(T * H);
      lab.set(embeds.subarray(g * H, (g + k) * H));
      const out = (await model.engine.run(bucket.graph.signature, { ...feed, labels_embeds: [lab, [1, T, H]] })).logits;
      for (let i = w.ownStart; i < w.ownStop; i++) {
        const src = (i - w.start) * T * 3;
        for (let c = 0; c < k; c++) {
          for (let ch = 0; ch < 3; ch++) {
            const v = out[src + c * 3 + ch];
            if (!Number.isFinite(v)) model._overflow(embeds, g, k, H);
            logits[(i * N + g + c) * 3 + ch] = v;
          }
        }
      }
    }
  }
  return decodeTokenLogits(logits, numWords, N, opts.threshold, opts.flatNer, opts.multiLabel);
}
