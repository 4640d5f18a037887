// manifest.json as the web runtime reads it: every field it uses checked, a bad one refused naming the field
// (a port of common/manifest.py read() and runtime/artifacts.py _check_contract).

import { ManifestError } from "./errors.js";

export const SCHEMA_VERSION = 2;
export const MAX_MANIFEST_BYTES = 16 << 20;
const SHA256 = /^[0-9a-f]{64}$/;
const PRECISIONS = ["fp32", "int8", "int8w"];
const STEMS = {
  labels_encoder: "labels", labels_encoder_bulk: "labels_bulk", label_prompts: "prompts",
  text_encoder_seq: "text", text_spans_seq: "spans", token_logits_seq: "tokens",
};
const VARIANT = /^(labels_encoder_bulk|labels_encoder|label_prompts|text_encoder_seq|text_spans_seq|token_logits_seq)([1-9][0-9]*)?_([a-z0-9]+)$/;
export const BULK_LABEL_ROWS = 128;

/** A variant stem (text_encoder_seq256_int8) -> { component, seqLen, precision }, or null. */
export function parseVariant(stem) {
  const m = typeof stem === "string" ? VARIANT.exec(stem) : null;
  if (!m) return null;
  const component = STEMS[m[1]];
  const perBucket = component === "text" || component === "spans" || component === "tokens";
  if (perBucket !== (m[2] !== undefined) || !PRECISIONS.includes(m[3])) return null;
  const seqLen = m[2] === undefined ? null : Number(m[2]);
  if (perBucket && (seqLen % 64 !== 0 || seqLen > 8192)) return null;
  return { component, seqLen, precision: m[3] };
}

function fix(url) {
  return `reconvert the folder: python -m convert --model <GLiNER model> --out <folder> --force (${url})`;
}

/** Parse and check manifest text fetched from `url`. */
export function readManifest(text, url) {
  const fail = (where, problem) => new ManifestError(`${url}: ${where} ${problem}; ${fix(url)}`);
  if (text.length > MAX_MANIFEST_BYTES) throw fail("the manifest", `is ${text.length} characters, more than a manifest ever is`);
  let data;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ManifestError(`${url} is not valid JSON (${e.message}); ${fix(url)}`);
  }
  const obj = (d, where) => {
    if (d === null || typeof d !== "object" || Array.isArray(d)) throw fail(where, `must be a JSON object, got ${JSON.stringify(d)?.slice(0, 40)}`);
    return d;
  };
  const get = (d, key, where, kind, { positive = false, nonNegative = false, optional = false } = {}) => {
    const v = d[key];
    if (v === undefined || v === null) {
      if (optional) return null;
      throw fail(`${where}.${key}`, "is missing");
    }
    const ok = kind === "int" ? Number.isSafeInteger(v) : kind === "number" ? typeof v === "number" && Number.isFinite(v) : typeof v === kind;
    if (!ok) throw fail(`${where}.${key}`, `must be ${kind}, got ${JSON.stringify(v).slice(0, 60)}`);
    if (positive && !(v > 0)) throw fail(`${where}.${key}`, `must be > 0, got ${v}`);
    if (nonNegative && !(v >= 0)) throw fail(`${where}.${key}`, `must be >= 0 (a token id), got ${v}`);
    if (kind === "string" && v.includes("\0")) throw fail(`${where}.${key}`, `holds a NUL character (${JSON.stringify(v)})`);
    return v;
  };
  const sha = (d, where) => {
    const v = get(d, "sha256", where, "string");
    if (!SHA256.test(v)) throw fail(`${where}.sha256`, `is not a sha256 hex digest (${JSON.stringify(v.slice(0, 20))})`);
    return v;
  };
  const relPath = (d, key, where) => {
    const v = get(d, key, where, "string");
    const parts = v.split("/");
    if (!v || v.includes("\\") || v.startsWith("/") || v.startsWith("~") || parts.includes("..") || /^[a-z][a-z0-9+.-]*:/i.test(v)) {
      throw fail(`${where}.${key}`, `${JSON.stringify(v)} points outside the artifacts folder; only names inside it are allowed`);
    }
    return v;
  };
  obj(data, "the manifest");
  if (data.schema_version !== SCHEMA_VERSION) {
    throw new ManifestError(
      `${url}: manifest schema ${JSON.stringify(data.schema_version)}, this runtime reads ${SCHEMA_VERSION} (the folder was ` +
        `written by another version of gliner-litert); ${fix(url)}`,
    );
  }
  const c = obj(data.config, "config");
  const config = {
    maxWidth: get(c, "max_width", "config", "int", { positive: true }),
    maxTypes: get(c, "max_types", "config", "int", { positive: true }),
    hiddenSize: get(c, "hidden_size", "config", "int", { positive: true }),
    maxLen: get(c, "max_len", "config", "int", { positive: true }),
    wordsSplitterType: get(c, "words_splitter_type", "config", "string"),
    spanMode: get(c, "span_mode", "config", "string"),
    subtokenPooling: get(c, "subtoken_pooling", "config", "string"),
    labelTokens: get(c, "label_tokens", "config", "int", { positive: true }),
    textPadTokenId: get(c, "text_pad_token_id", "config", "int", { nonNegative: true }),
  };
  const fd = obj(data.files, "files");
  const files = {};
  for (const name of ["text_tokenizer", "labels_tokenizer", "gliner_config"]) {
    const e = obj(fd[name], `files.${name}`);
    files[name] = { path: relPath(e, "path", `files.${name}`), sha256: sha(e, `files.${name}`) };
  }
  const artifacts = {};
  for (const [stem, a0] of Object.entries(obj(data.artifacts ?? {}, "artifacts"))) {
    const where = `artifacts.${stem}`;
    const a = obj(a0, where);
    const precision = get(a, "precision", where, "string");
    if (!PRECISIONS.includes(precision)) throw fail(`${where}.precision`, `unknown precision ${JSON.stringify(precision)}`);
    const layout = get(a, "layout", where, "string");
    if (layout !== "bundle" && layout !== "files") throw fail(`${where}.layout`, `must be bundle or files, got ${JSON.stringify(layout)}`);
    if (!Array.isArray(a.graphs) || !a.graphs.length) throw fail(`${where}.graphs`, "must be a non-empty list");
    const graphs = a.graphs.map((g0, i) => {
      const gw = `${where}.graphs[${i}]`;
      const g = obj(g0, gw);
      const variant = parseVariant(get(g, "variant", gw, "string"));
      if (!variant) throw fail(`${gw}.variant`, `names no variant (${JSON.stringify(g.variant)})`);
      if (variant.precision !== precision) throw fail(`${gw}.variant`, `${g.variant} is not of the file's precision ${precision}`);
      const tensors = (rows, w) => {
        if (!Array.isArray(rows) || !rows.length) throw fail(w, "must be a non-empty list");
        return rows.map((r0, j) => {
          const r = obj(r0, `${w}[${j}]`);
          if (!Array.isArray(r.shape) || !r.shape.every((x) => Number.isSafeInteger(x) && x > 0)) {
            throw fail(`${w}[${j}].shape`, `must be a list of positive ints, got ${JSON.stringify(r.shape)}`);
          }
          return { name: get(r, "name", `${w}[${j}]`, "string"), shape: r.shape, dtype: get(r, "dtype", `${w}[${j}]`, "string") };
        });
      };
      return {
        variant, variantName: g.variant, signature: get(g, "signature", gw, "string"),
        inputs: tensors(g.inputs, `${gw}.inputs`), outputs: tensors(g.outputs, `${gw}.outputs`),
        maxValidTokens: get(g, "max_valid_tokens", gw, "int", { positive: true }), where: gw,
      };
    });
    const names = graphs.map((g) => g.signature);
    if (new Set(names).size !== names.length) throw fail(`${where}.graphs`, "names a signature twice");
    artifacts[stem] = {
      stem, file: relPath(a, "file", where), sha256: sha(a, where), bytes: get(a, "bytes", where, "int", { positive: true }),
      precision, layout, graphs,
    };
  }
  const src = obj(data.source, "source");
  get(src, "weights_sha256", "source", "string");
  return { source: src, config, files, artifacts, url };
}

/** The tensors a graph of `variant` must have under `config` in the bundle's int32 contract (common/inputs.py). */
export function contract(variant, config) {
  const { maxWidth: W, hiddenSize: H, maxTypes: T, labelTokens: L } = config;
  const S = variant.seqLen;
  const i32 = (name, shape) => ({ name, shape, dtype: "int32" });
  const f32 = (name, shape) => ({ name, shape, dtype: "float32" });
  switch (variant.component) {
    case "labels":
      return { inputs: [i32("input_ids", [T, L]), i32("attention_mask", [T, L])], outputs: [f32("labels_embeds", [T, H])] };
    case "labels_bulk":
      return {
        inputs: [i32("input_ids", [BULK_LABEL_ROWS, L]), i32("attention_mask", [BULK_LABEL_ROWS, L])],
        outputs: [f32("labels_embeds", [BULK_LABEL_ROWS, H])],
      };
    case "prompts":
      return { inputs: [f32("labels_embeds", [BULK_LABEL_ROWS, H])], outputs: [f32("prompts", [BULK_LABEL_ROWS, H])] };
    case "spans":
      return {
        inputs: ["input_ids", "attention_mask", "first_subword_positions", "word_valid_mask"].map((n) => i32(n, [1, S])),
        outputs: [f32("span_reps", [1, S, W, H])],
      };
    case "tokens": // token-level models: start/end/inside per word and label, no span_idx
      return {
        inputs: [
          ...["input_ids", "attention_mask", "first_subword_positions", "word_valid_mask"].map((n) => i32(n, [1, S])),
          f32("labels_embeds", [1, T, H]),
        ],
        outputs: [f32("logits", [1, S, T, 3])],
      };
    default:
      return {
        inputs: [
          ...["input_ids", "attention_mask", "first_subword_positions", "word_valid_mask"].map((n) => i32(n, [1, S])),
          f32("labels_embeds", [1, T, H]), i32("span_idx", [1, S * W, 2]),
        ],
        outputs: [f32("logits", [1, S, W, T])],
      };
  }
}

/** 'name: shape dtype (<says> shape dtype)' for each tensor that differs or is on one side only. */
export function tensorDifferences(got, want, says = "the contract says") {
  const key = (rows) => Object.fromEntries(rows.map((r) => [r.name, `${JSON.stringify(Array.from(r.shape))} ${r.dtype}`]));
  const g = key(got);
  const w = key(want);
  const names = [...Object.keys(w), ...Object.keys(g).filter((n) => !(n in w))];
  return names.filter((n) => g[n] !== w[n]).map((n) => `${n}: ${g[n] ?? "absent"} (${says} ${w[n] ?? "absent"})`);
}
