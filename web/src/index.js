// GLiNER bi-encoder NER in a web page: a folder written by `python -m convert` (a bundle; `--web` for one a page
// can hold) run by LiteRT.js. The second implementation of docs/RUNTIME.md, stage by stage as runtime/:
//   load: manifest checked, the graphs to run planned (folder.js), tokenizers and the model file fetched and
//         sha256-verified, signatures checked
//   prepare: words (Python's \w), tokens per word, windows, each window's tokens and bucket   (words.js, windows.js)
//   labels: labels encoder (bulk) and prompts graph, cached                                    (inputs.js)
//   logits path (<= max_types labels) or span path (more: one text pass, host scoring)         (scoring.js)
//   decoding: upstream's greedy rules, word spans mapped to UTF-16 offsets                    (decoding.js)
//   token-level models: token graph per window and max_types labels, TokenDecoder            (token.js)

import { LabelBank, describeIdentity, parseBank } from "./bank.js";
import { decodeCandidates, decodeLogits } from "./decoding.js";
import { convertHint, planFolder } from "./folder.js";
import { DEFAULT_WASM_URL, Engine, ensureLiteRt } from "./engine.js";
import { ArtifactError, BankError, EngineError, GLiNERError, InputError, ManifestError, UnsupportedFolderError } from "./errors.js";
import { buildLabelsInputs, buildTextInputs } from "./inputs.js";
import { BULK_LABEL_ROWS, readManifest, tensorDifferences } from "./manifest.js";
import { allFinite, scoreCandidates } from "./scoring.js";
import { sha256Hex } from "./sha256.js";
import { weightsPrecision } from "./tflite.js";
import { WordsTokenizer } from "./tokenizer.js";
import { tokenPath } from "./token.js";
import { planSmallestBuckets, tokensPerWord } from "./windows.js";
import { checkUnicode, isSpaceChar, splitWords } from "./words.js";

export { ArtifactError, BankError, EngineError, GLiNERError, InputError, LabelBank, ManifestError, UnsupportedFolderError };
export { splitWords } from "./words.js";
export { WordsTokenizer } from "./tokenizer.js";

export const PRECISIONS = ["fp32", "int8", "int8w"];
export const ON_OVERFLOW = ["window", "truncate", "error"];
const LABEL_CACHE_SIZE = 64;
const MAX_SIDE_FILE_BYTES = 256 << 20;


async function fetchBytes(url, what, fetchFn, maxBytes = Infinity) {
  let res;
  try {
    res = await fetchFn(url);
  } catch (e) {
    throw new ArtifactError(`${url} (${what}) cannot be fetched (${e?.message ?? e}); check the folder URL and that the server is running`);
  }
  if (!res.ok) {
    throw new ArtifactError(`${url} (${what}) answered HTTP ${res.status}: the file is missing from the folder or the URL is wrong; restore the file or reconvert`);
  }
  const declared = Number(res.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new ArtifactError(`${url} (${what}) is ${declared} bytes, more than the ${maxBytes} the manifest allows: the file was replaced; restore it or reconvert`);
  }
  return new Uint8Array(await res.arrayBuffer());
}

function isBlank(s) {
  for (const ch of s) if (!isSpaceChar(ch.codePointAt(0))) return false;
  return true;
}

function checkBool(v, name) {
  if (typeof v !== "boolean") throw new InputError(`${name} must be true or false, got ${JSON.stringify(v)} (${typeof v})`);
}

/** A converted folder, loaded and verified; predictEntities as gliner's predict_entities. */
export class GLiNER {
  /**
   * Load a folder served at `folderUrl` (manifest.json, gliner_bi_{precision}.tflite, text_tokenizer/,
   * labels_tokenizer/). Options: precision ("fp32", "int8" or "int8w"), accelerator ("wasm" or "webgpu"), threads
   * (default: when the page is cross-origin isolated), jspi (LiteRT.js's JSPI build, first load of the page only), wasmUrl (LiteRT.js's wasm folder), windowOverlap,
   * maxSeqLen (no larger bucket: longer texts run as windows), spanScoring (null: the span graphs for more than max_types labels; true / false), fetch.
   */
  static async load(folderUrl, options = {}) {
    const {
      precision = "fp32", accelerator = "wasm", threads = undefined, wasmUrl = DEFAULT_WASM_URL,
      windowOverlap = null, spanScoring = null, fetch: fetchFn = globalThis.fetch.bind(globalThis), jspi = false,
      maxSeqLen = null,
    } = options;
    if (!PRECISIONS.includes(precision)) throw new InputError(`precision must be one of ${PRECISIONS.join(", ")}, got ${JSON.stringify(precision)}`);
    if (accelerator !== "wasm" && accelerator !== "webgpu") throw new InputError(`accelerator must be "wasm" or "webgpu", got ${JSON.stringify(accelerator)}`);
    const t0 = performance.now();
    const base = new URL(String(folderUrl).endsWith("/") ? String(folderUrl) : `${folderUrl}/`, globalThis.location?.href);
    const manifestUrl = new URL("manifest.json", base).href;
    let res;
    try {
      res = await fetchFn(manifestUrl);
    } catch (e) {
      throw new ArtifactError(`${manifestUrl} cannot be fetched (${e?.message ?? e}); ${convertHint(base.href, precision)}`);
    }
    if (!res.ok) {
      throw new ArtifactError(`${manifestUrl} answered HTTP ${res.status}: ${base.href} is not a converted artifacts folder; ${convertHint(base.href, precision)}`);
    }
    const manifest = readManifest(await res.text(), manifestUrl);
    const model = new GLiNER(base, manifest, precision, accelerator, fetchFn);
    model._checkFolder(windowOverlap, spanScoring, maxSeqLen);
    await model._loadTokenizers();
    model.litert = await ensureLiteRt(wasmUrl, threads, jspi);
    await model._loadEngine();
    model.timings = { loadMs: performance.now() - t0 };
    return model;
  }

  constructor(base, manifest, precision, accelerator, fetchFn) {
    this.base = base;
    this.manifest = manifest;
    this.config = manifest.config;
    this.precision = precision;
    this.accelerator = accelerator;
    this._fetch = fetchFn;
    this._labelCache = new Map();
    this._prompts = new WeakMap();
    this._banksChecked = new WeakSet();
  }

  _url(rel) {
    return new URL(rel, this.base).href;
  }

  _checkFolder(windowOverlap, spanScoring, maxSeqLen = null) {
    Object.assign(this, planFolder(this.manifest, this.precision, this.base, { windowOverlap, spanScoring, maxSeqLen }));
  }

  async _sideFile(name) {
    const side = this.manifest.files[name];
    const url = this._url(side.path);
    const bytes = await fetchBytes(url, `files.${name}`, this._fetch, MAX_SIDE_FILE_BYTES);
    const got = await sha256Hex(bytes);
    if (got !== side.sha256) {
      throw new ArtifactError(`${url}: sha256 ${got.slice(0, 16)}... does not match the manifest's ${side.sha256.slice(0, 16)}... (files.${name}.sha256): the file is corrupt or was replaced; re-download or restore the file, or reconvert`);
    }
    return { bytes, url };
  }

  async _loadTokenizers() {
    const make = async (name) => {
      const { bytes, url } = await this._sideFile(name);
      let json;
      try {
        json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
      } catch (e) {
        throw new ArtifactError(`${url} (files.${name}) is not a valid tokenizer.json (${e.message}); reconvert the folder with \`python -m convert ... --force\``);
      }
      return new WordsTokenizer(json, url);
    };
    this.textTokenizer = await make("text_tokenizer");
    this.labelsTokenizer = await make("labels_tokenizer");
    if (!(this.config.textPadTokenId < this.textTokenizer.vocabSize)) {
      throw new ArtifactError(`${this.manifest.url}: config.text_pad_token_id ${this.config.textPadTokenId} is not a token of the text tokenizer (${this.textTokenizer.vocabSize} tokens); the manifest was edited: reconvert the folder with \`python -m convert ... --force\``);
    }
    this._emptyLabel = this.labelsTokenizer.encode("");
  }

  async _loadEngine() {
    const art = this.bundle;
    const url = this._url(art.file);
    const where = `artifacts.${art.stem}`;
    const bytes = await fetchBytes(url, `${where}.file`, this._fetch, art.bytes);
    if (bytes.length !== art.bytes) {
      throw new ArtifactError(`${url}: ${bytes.length} bytes, the manifest's ${where}.bytes says ${art.bytes}: the file is truncated or was replaced; re-download or restore the file, or reconvert with \`python -m convert ... --force\``);
    }
    const got = await sha256Hex(bytes);
    if (got !== art.sha256) {
      throw new ArtifactError(`${url}: sha256 ${got.slice(0, 16)}... does not match the manifest's ${art.sha256.slice(0, 16)}... (${where}.sha256): the file is corrupt or was replaced; re-download or restore the file, or reconvert with \`python -m convert ... --force\``);
    }
    let found;
    try {
      found = weightsPrecision(bytes);
    } catch (e) {
      throw new ArtifactError(`${url} is not a .tflite file (${e.message}); restore the file or reconvert with \`python -m convert ... --force\``);
    }
    if (found !== art.precision) {
      throw new ArtifactError(`${url} holds ${found} weights but the manifest's ${where}.precision says ${art.precision}: the file is another precision's graph (its sha256 in the manifest was updated to match); restore the ${art.precision} file or reconvert with \`python -m convert ... --force\``);
    }
    this.engine = await Engine.create(bytes, this.accelerator, url);
    const want = art.graphs.map((g) => g.signature).sort();
    const have = [...this.engine.signatures].sort();
    if (JSON.stringify(have) !== JSON.stringify(want)) {
      throw new ArtifactError(`${url} has signatures ${have.join(", ")}, the manifest's ${where} lists ${want.join(", ")}: the file is not the one converted; reconvert with \`python -m convert ... --force\``);
    }
    for (const g of art.graphs) {
      const io = this.engine.io(g.signature);
      for (const [kind, got2, rec] of [["inputs", io.inputs, g.inputs], ["outputs", io.outputs, g.outputs]]) {
        const differ = tensorDifferences(got2, rec, "the manifest says");
        if (differ.length) {
          throw new ArtifactError(`${url}: the graph's ${kind} differ from the manifest's ${g.where}.${kind} (${differ.join("; ")}): the file is not the ${g.variantName} graph; restore the file or reconvert with \`python -m convert ... --force\``);
        }
      }
    }
  }

  /** Release the model's memory in the wasm heap. */
  dispose() {
    this.engine?.delete();
    this.engine = null;
  }

  // ---------------------------------------------------------------------------------------------- checks

  _checkLabels(labels) {
    if (typeof labels === "string") labels = [labels];
    if (!Array.isArray(labels)) throw new InputError(`labels must be an array of strings (or a LabelBank), got ${labels === null ? "null" : typeof labels}`);
    if (!labels.length) throw new InputError("no labels given: pass at least one entity type, e.g. ['person', 'organization']");
    labels.forEach((label, i) => {
      if (typeof label !== "string") throw new InputError(`label ${i} is a ${typeof label} (${JSON.stringify(label)}); every label must be a string`);
      if (isBlank(label)) throw new InputError(`label ${i} is empty or whitespace (${JSON.stringify(label)}); remove it or name the entity type`);
      checkUnicode(label, `label ${i}`);
    });
    const byIds = new Map();
    for (const label of labels) {
      const key = this.labelsTokenizer.encode(label).join(",");
      if (!byIds.has(key)) byIds.set(key, []);
      byIds.get(key).push(label);
    }
    const same = [...byIds.values()].filter((g) => g.length > 1);
    if (same.length) {
      const exact = same.filter((g) => new Set(g).size === 1).map((g) => g[0]);
      if (exact.length) throw new InputError(`duplicate label(s) ${JSON.stringify(exact.sort())}; pass each entity type once`);
      throw new InputError(
        `duplicate label(s) for the model: ${same.map((g) => g.map((x) => JSON.stringify(x)).join(" and ")).join("; ")} are one entity type to the labels encoder (its tokenizer maps them to the same tokens: letter case, accents, surrounding spaces, or characters its vocabulary lacks); pass each entity type once`,
      );
    }
    return [...labels];
  }

  static _checkOptions({ threshold = 0.5, flatNer = true, multiLabel = false, onOverflow = "window" }) {
    checkBool(flatNer, "flatNer");
    checkBool(multiLabel, "multiLabel");
    if (typeof threshold !== "number" || Number.isNaN(threshold)) throw new InputError(`threshold must be a number in (0, 1), got ${JSON.stringify(threshold)}`);
    if (!(threshold > 0 && threshold < 1)) throw new InputError(`threshold must be in (0, 1) (exclusive), got ${threshold}; 0.5 is the usual default`);
    if (!ON_OVERFLOW.includes(onOverflow)) throw new InputError(`onOverflow must be one of ${ON_OVERFLOW.join(", ")}, got ${JSON.stringify(onOverflow)}`);
    return { threshold, flatNer, multiLabel, onOverflow };
  }

  // ---------------------------------------------------------------------------------------------- labels

  /** Forget every cached label embedding and prompt (the next call runs the labels encoder again). */
  clearLabelCache() {
    this._labelCache.clear();
    this._prompts = new WeakMap();
  }

  /** Label embeddings [N * hidden] (Float32Array) from the labels encoder, 128 rows a call where the bulk graph is;
   * cached by the label list. */
  async encodeLabels(labels) {
    const list = this._checkLabels(labels);
    return this._encode(list);
  }

  async _encode(list) {
    const key = JSON.stringify(list);
    const hit = this._labelCache.get(key);
    if (hit) {
      this._labelCache.delete(key);
      this._labelCache.set(key, hit);
      return hit;
    }
    const H = this.config.hiddenSize;
    const T = this.config.maxTypes;
    const L = this.config.labelTokens;
    const encs = list.map((l) => this.labelsTokenizer.encode(l));
    const tooLong = list.filter((_, i) => encs[i].length > L);
    if (tooLong.length) {
      console.warn(`${tooLong.length} label(s) exceed the labels encoder's ${L} tokens and are truncated (upstream would encode them whole): ${tooLong.slice(0, 3).map((x) => JSON.stringify(x)).join(", ")}`);
    }
    const out = new Float32Array(list.length * H);
    for (let g = 0; g < encs.length;) {
      const graph = this.bulkGraph && encs.length - g > T ? this.bulkGraph : this.labelsGraph;
      const rows = graph === this.bulkGraph ? BULK_LABEL_ROWS : T;
      const group = encs.slice(g, g + rows);
      const inp = buildLabelsInputs(group, this._emptyLabel, rows, L);
      const res = await this.engine.run(graph.signature, {
        input_ids: [inp.input_ids, [rows, L]], attention_mask: [inp.attention_mask, [rows, L]],
      });
      out.set(res.labels_embeds.subarray(0, group.length * H), g * H);
      g += group.length;
    }
    this._labelCache.set(key, out);
    if (this._labelCache.size > LABEL_CACHE_SIZE) this._labelCache.delete(this._labelCache.keys().next().value);
    return out;
  }

  async _promptsOf(embeds, n) {
    const hit = this._prompts.get(embeds);
    if (hit) return hit;
    const H = this.config.hiddenSize;
    const out = new Float32Array(n * H);
    for (let g = 0; g < n; g += BULK_LABEL_ROWS) {
      const k = Math.min(BULK_LABEL_ROWS, n - g);
      const feed = new Float32Array(BULK_LABEL_ROWS * H);
      feed.set(embeds.subarray(g * H, (g + k) * H));
      const res = await this.engine.run(this.promptsGraph.signature, { labels_embeds: [feed, [BULK_LABEL_ROWS, H]] });
      out.set(res.prompts.subarray(0, k * H), g * H);
    }
    this._prompts.set(embeds, out);
    return out;
  }

  // ---------------------------------------------------------------------------------------------- banks

  /** A bank saved by `python -m runtime --save-bank`, refused unless this model (weights, precision, labels
   * tokenizer) made it, or if its labels or rows differ from its record. */
  async loadBank(url) {
    const where = new URL(url, globalThis.location?.href).href;
    let bytes;
    try {
      bytes = await fetchBytes(where, "label bank", this._fetch, 2 ** 31);
    } catch (e) {
      throw new BankError(`label bank ${where} cannot be read: ${e.message}`);
    }
    const bank = await parseBank(bytes, where);
    this._checkBank(bank, where);
    return bank;
  }

  _checkBank(bank, where = "the label bank") {
    const mine = {
      weights_sha256: this.manifest.source.weights_sha256, precision: this.precision,
      labels_tokenizer_sha256: this.manifest.files.labels_tokenizer.sha256,
    };
    const theirs = { weights_sha256: bank.weightsSha256, precision: bank.precision, labels_tokenizer_sha256: bank.labelsTokenizerSha256 };
    const differ = Object.keys(mine).filter((k) => mine[k] !== theirs[k]);
    if (differ.length) {
      throw new BankError(
        `${where} was made by another model or precision (${differ.join(", ")} differ): the bank has ${bank.describe()}; this model (${this.base.href}) has ` +
          `${describeIdentity(mine.weights_sha256, mine.precision, mine.labels_tokenizer_sha256)}. Label embeddings only mean something to the model that made them: ` +
          "build the bank again with this model (`python -m runtime --model DIR --labels-file FILE --save-bank BANK`)",
      );
    }
    if (bank.hidden !== this.config.hiddenSize) throw new BankError(`${where} holds ${bank.hidden}-wide embeddings; this model's are ${this.config.hiddenSize} wide: build the bank again with this model`);
    if (!this._banksChecked.has(bank)) {
      try {
        this._checkLabels([...bank.labels]);
      } catch (e) {
        throw new BankError(`${where}: ${e.message}`);
      }
      this._banksChecked.add(bank);
    }
  }

  async _labelsAndEmbeds(labels) {
    if (labels instanceof LabelBank) {
      this._checkBank(labels);
      return [labels.labels, labels.embeds];
    }
    const list = this._checkLabels(labels);
    return [list, await this._encode(list)];
  }

  // ---------------------------------------------------------------------------------------------- text

  _prepare(text, onOverflow) {
    const { words, starts, ends } = splitWords(text, this.config.wordsSplitterType);
    const enc = this.textTokenizer.encodeWords(words);
    const counts = tokensPerWord(enc.wordIds, words.length);
    const nTok = enc.ids.length;
    const one = (n) => [{ start: 0, stop: n, ownStart: 0, ownStop: n }];
    if (words.length <= this.maxWords && nTok <= this.maxTokens) return { text, words, starts, ends, windows: one(words.length) };
    const why = `the text has ${words.length} words and ${nTok} tokens; one graph call takes at most ${this.maxWords} words (the model's max_len ${this.config.maxLen}, capped by the largest bucket) and ${this.maxTokens} tokens (the largest ${this.precision} bucket)`;
    if (onOverflow === "error") throw new InputError(`${why}. Pass onOverflow: 'window' (overlapping windows) or 'truncate', or convert a larger --seq-lens bucket`);
    if (onOverflow === "truncate") {
      let keep = 0;
      let used = this.textTokenizer.numSpecialTokens;
      while (keep < Math.min(words.length, this.maxWords) && used + counts[keep] <= this.maxTokens) used += counts[keep++];
      keep = Math.max(keep, 1);
      console.warn(`Sentence of length ${words.length} has been truncated to ${keep} (${why})`);
      return { text, words: words.slice(0, keep), starts: starts.slice(0, keep), ends: ends.slice(0, keep), windows: one(keep) };
    }
    const budgets = this.buckets.map((b) => [b.maxTokens, Math.min(this.maxWords, b.seqLen)]);
    const windows = planSmallestBuckets(counts, this.textTokenizer.numSpecialTokens, budgets, this.windowOverlap);
    return { text, words, starts, ends, windows };
  }

  _encodeWindow(prepared, w, buckets) {
    const enc = this.textTokenizer.encodeWords(prepared.words.slice(w.start, w.stop), this.maxTokens);
    const n = w.stop - w.start;
    const bucket = buckets.find((b) => enc.ids.length <= b.maxTokens && n <= b.seqLen);
    if (!bucket) throw new InputError(`${enc.ids.length} tokens / ${n} words fit no bucket (largest holds ${this.maxTokens} tokens)`);
    const inp = buildTextInputs(enc.ids, enc.wordIds, n, bucket.seqLen, this.config.maxWidth, this.config.textPadTokenId);
    const S = bucket.seqLen;
    const feed = {
      input_ids: [inp.input_ids, [1, S]], attention_mask: [inp.attention_mask, [1, S]],
      first_subword_positions: [inp.first_subword_positions, [1, S]], word_valid_mask: [inp.word_valid_mask, [1, S]],
    };
    return { bucket, feed, spanIdx: inp.span_idx, n };
  }

  /** Whether `numLabels` labels take one span-graph pass scored on the host (else the logits graph). */
  usesSpanPath(numLabels) {
    return this.spanScoring && (!this._spanAuto || numLabels > this.config.maxTypes);
  }

  /**
   * Entities of one text: [{start, end, text, label, score}], start/end UTF-16 offsets into `text` (end exclusive),
   * ordered by start. `labels`: an array of distinct entity types (any number), or a LabelBank of this model.
   * Options: threshold (0.5), flatNer (true), multiLabel (false), onOverflow ("window", "truncate", "error").
   */
  async predictEntities(text, labels, options = {}) {
    const opts = GLiNER._checkOptions(options);
    if (typeof text !== "string") throw new InputError(`text must be a string, got ${text === null ? "null" : typeof text}`);
    const [list, embeds] = await this._labelsAndEmbeds(labels);
    if (isBlank(text)) return [];
    checkUnicode(text, "text");
    const prepared = this._prepare(text, opts.onOverflow);
    const spans = this.tokenLevel ? await tokenPath(this, prepared, list.length, embeds, opts)
      : this.usesSpanPath(list.length) ? await this._spanPath(prepared, list.length, embeds, opts)
        : await this._logitsPath(prepared, list.length, embeds, opts);
    return spans.map(([s, e, c, score]) => {
      const a = prepared.starts[s];
      const b = prepared.ends[e];
      return { start: a, end: b, text: text.slice(a, b), label: list[c], score };
    });
  }

  async _logitsPath(prepared, N, embeds, opts) {
    const { maxWidth: W, maxTypes: T, hiddenSize: H } = this.config;
    const numWords = prepared.windows[prepared.windows.length - 1].stop;
    const logits = new Float32Array(numWords * W * N).fill(-Infinity);
    for (const w of prepared.windows) {
      const { bucket, feed, spanIdx, n } = this._encodeWindow(prepared, w, this.textBuckets);
      const S = bucket.seqLen;
      for (let g = 0; g < N; g += T) {
        const k = Math.min(T, N - g);
        const lab = new Float32Array(T * H);
        lab.set(embeds.subarray(g * H, (g + k) * H));
        const out = (await this.engine.run(bucket.graph.signature, {
          ...feed, labels_embeds: [lab, [1, T, H]], span_idx: [spanIdx, [1, S * W, 2]],
        })).logits;
        for (let s = w.ownStart; s < w.ownStop; s++) {
          const ls = s - w.start;
          for (let kk = 0; kk < W; kk++) {
            if (ls + kk >= n) continue; // past the window's last word: never scored there
            const src = (ls * W + kk) * T;
            const dst = (s * W + kk) * N + g;
            for (let c = 0; c < k; c++) {
              const v = out[src + c];
              if (!Number.isFinite(v)) this._overflow(embeds, g, k, H);
              logits[dst + c] = v;
            }
          }
        }
      }
    }
    return decodeLogits(logits, numWords, W, N, numWords, opts.threshold, opts.flatNer, opts.multiLabel);
  }

  _overflow(embeds, g, k, H) {
    let row = 0;
    let big = 0;
    for (let r = 0; r < k; r++) for (let h = 0; h < H; h++) {
      const v = Math.abs(embeds[(g + r) * H + h]);
      if (v > big) { big = v; row = g + r; }
    }
    throw new InputError(`the scores of this text overflow float32 (non-finite logits): label embeddings (or their prompts) reach ${big.toPrecision(3)} in row ${row}, far beyond what a labels encoder gives, so no entity could be found. Use embeddings from this model's encodeLabels or a bank it built`);
  }

  async _spanPath(prepared, N, embeds, opts) {
    const { maxWidth: W, hiddenSize: H } = this.config;
    const prompts = await this._promptsOf(embeds, N);
    if (!allFinite(prompts)) this._overflow(prompts, 0, N, H);
    const parts = [];
    let total = 0;
    for (const w of prepared.windows) {
      const { bucket, feed, n } = this._encodeWindow(prepared, w, this.spanBuckets);
      const reps = (await this.engine.run(bucket.graph.signature, feed)).span_reps;
      const rows = [];
      for (let s = w.ownStart; s < w.ownStop; s++) {
        const ls = s - w.start;
        for (let k = 0; k < W && ls + k < n; k++) rows.push([s, k, (ls * W + k) * H]);
      }
      parts.push({ reps, rows });
      total += rows.length;
    }
    const reps = new Float32Array(total * H);
    const starts = new Int32Array(total);
    const widths = new Int32Array(total);
    let i = 0;
    let repMax = 0;
    for (const { reps: r, rows } of parts) {
      for (const [s, k, off] of rows) {
        reps.set(r.subarray(off, off + H), i * H);
        starts[i] = s;
        widths[i] = k;
        i++;
      }
    }
    for (let j = 0; j < reps.length; j++) repMax = Math.max(repMax, Math.abs(reps[j]));
    let pMax = 0;
    for (let j = 0; j < prompts.length; j++) pMax = Math.max(pMax, Math.abs(prompts[j]));
    if (repMax * pMax * H > 1e38) this._overflow(prompts, 0, N, H);
    const { rows, classes, probs } = scoreCandidates(reps, total, prompts, N, H, opts.threshold, !opts.multiLabel);
    const numWords = prepared.windows[prepared.windows.length - 1].stop;
    return decodeCandidates(rows.map((r) => starts[r]), rows.map((r) => widths[r]), classes, probs, numWords, opts.flatNer, opts.multiLabel);
  }
}

export default GLiNER;
