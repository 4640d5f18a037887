// The pure modules against what the Python runtime computes on the same inputs (scripts/web_expected.py writes
// pure.json): words and offsets, token ids and word ids, label ids, window plans, decoding.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { decodeLogits } from "../src/decoding.js";
import { WordsTokenizer } from "../src/tokenizer.js";
import { planSmallestBuckets } from "../src/windows.js";
import { splitWords } from "../src/words.js";

const EXPECTED = process.env.WEB_EXPECTED ?? new URL("../../build/web-expected/", import.meta.url).pathname;
const ARTIFACTS = process.env.WEB_ARTIFACTS ?? new URL("../../build/tiny-trained-web/", import.meta.url).pathname;
const pure = JSON.parse(readFileSync(`${EXPECTED}/pure.json`, "utf8"));
const textTok = new WordsTokenizer(JSON.parse(readFileSync(`${ARTIFACTS}/text_tokenizer/tokenizer.json`, "utf8")));
const labelsTok = new WordsTokenizer(JSON.parse(readFileSync(`${ARTIFACTS}/labels_tokenizer/tokenizer.json`, "utf8")));

test("words and UTF-16 offsets equal runtime/words.py", () => {
  assert.ok(pure.words.length > 500);
  for (const c of pure.words) {
    const got = splitWords(c.text);
    assert.deepEqual(got.words, c.words, JSON.stringify(c.text));
    assert.deepEqual(got.starts, c.starts, JSON.stringify(c.text));
    assert.deepEqual(got.ends, c.ends, JSON.stringify(c.text));
    got.words.forEach((w, i) => assert.equal(c.text.slice(got.starts[i], got.ends[i]), w));
  }
});

test("text token ids and word ids equal tokenizers' encode(words, is_pretokenized=True)", () => {
  for (const c of pure.words) {
    const got = textTok.encodeWords(c.words);
    assert.deepEqual(got.ids, c.ids, JSON.stringify(c.text));
    assert.deepEqual(got.wordIds, c.word_ids, JSON.stringify(c.text));
  }
  assert.equal(textTok.numSpecialTokens, pure.special_tokens);
});

test("label token ids equal tokenizers' encode(label)", () => {
  assert.ok(pure.labels.length > 300);
  for (const c of pure.labels) assert.deepEqual(labelsTok.encode(c.label), c.ids, JSON.stringify(c.label));
});

test("window plans equal runtime/windows.py plan_smallest_buckets", () => {
  for (const c of pure.windows) {
    const got = planSmallestBuckets(c.counts, c.special, c.budgets, c.overlap).map((w) => [w.start, w.stop, w.ownStart, w.ownStop]);
    assert.deepEqual(got, c.windows);
  }
});

test("decoding equals runtime/decoding.py decode_spans (flat, nested, multi-label, ties)", () => {
  for (const c of pure.decodings) {
    const [n, W, C] = c.shape;
    const got = decodeLogits(Float32Array.from(c.logits), n, W, C, n, c.threshold, c.flat_ner, c.multi_label);
    assert.deepEqual(got.map((s) => s.slice(0, 3)), c.spans.map((s) => s.slice(0, 3)), JSON.stringify(c.shape));
    // numpy's float32 exp is not correctly rounded (JS rounds the double exp): the probabilities agree to 2 ulps.
    got.forEach((s, i) => assert.ok(Math.abs(s[3] - c.spans[i][3]) <= 3e-7, `score ${s[3]} vs ${c.spans[i][3]}`));
  }
});

test("token decoding equals runtime/token_decoding.py decode_tokens (TokenDecoder's order, inside rule, ties)", async () => {
  const { decodeTokenLogits } = await import("../src/token.js");
  assert.ok(pure.token_decodings.reduce((a, c) => a + c.spans.length, 0) > 100);
  for (const c of pure.token_decodings) {
    const [n, C] = c.shape;
    const got = decodeTokenLogits(Float32Array.from(c.logits), n, C, c.threshold, c.flat_ner, c.multi_label);
    assert.deepEqual(got.map((s) => s.slice(0, 3)), c.spans.map((s) => s.slice(0, 3)), JSON.stringify(c.shape));
    got.forEach((s, i) => assert.ok(Math.abs(s[3] - c.spans[i][3]) <= 3e-7, `score ${s[3]} vs ${c.spans[i][3]}`));
  }
});

test("weightsPrecision reads the precision of each bundle from its flatbuffer", async () => {
  const { weightsPrecision } = await import("../src/tflite.js");
  for (const p of ["fp32", "int8"]) assert.equal(weightsPrecision(new Uint8Array(readFileSync(`${ARTIFACTS}/gliner_bi_${p}.tflite`))), p);
  assert.throws(() => weightsPrecision(new Uint8Array(64)), /TFL3/);
});

test("maxSeqLen keeps the buckets up to it, and a bad one is refused by name (folder.js)", async () => {
  const { planFolder } = await import("../src/folder.js");
  const { readManifest } = await import("../src/manifest.js");
  const { InputError } = await import("../src/errors.js");
  const manifest = readManifest(readFileSync(`${ARTIFACTS}/manifest.json`, "utf8"), `${ARTIFACTS}manifest.json`);
  const base = new URL(`file://${ARTIFACTS}`);
  const all = planFolder(manifest, "fp32", base).textBuckets.map((b) => b.seqLen);
  assert.ok(all.length >= 2, `the web bundle has buckets ${all}`);
  const capped = planFolder(manifest, "fp32", base, { maxSeqLen: all[0] });
  assert.deepEqual(capped.textBuckets.map((b) => b.seqLen), [all[0]]);
  assert.deepEqual(capped.spanBuckets.map((b) => b.seqLen), [all[0]]);
  assert.equal(capped.maxWords, Math.min(manifest.config.maxLen, all[0]));
  // Between buckets: the ones at or below it.
  assert.deepEqual(planFolder(manifest, "fp32", base, { maxSeqLen: all[1] - 1 }).textBuckets.map((b) => b.seqLen), [all[0]]);
  assert.throws(() => planFolder(manifest, "fp32", base, { maxSeqLen: all[0] - 1 }),
    (e) => e instanceof InputError && e.message.includes(`below the smallest bucket (${all[0]})`) && e.message.includes(all.join(", ")));
  for (const bad of [0, -256, 1.5, "256"]) {
    assert.throws(() => planFolder(manifest, "fp32", base, { maxSeqLen: bad }),
      (e) => e instanceof InputError && e.message.startsWith("maxSeqLen must be a positive integer"), String(bad));
  }
});
