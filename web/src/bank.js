// Label banks saved by `python -m runtime --save-bank` (runtime/bank.py, bank version 2): a .npz of stored
// members labels (<U), embeds (<f4 [N, H]) and meta (a JSON string), read without inflating anything, every
// .npy header checked against its member's size, the labels and rows checked against the record's digests.

import { BankError } from "./errors.js";
import { sha256Hex } from "./sha256.js";

export const BANK_FORMAT = "gliner-litert-label-bank";
export const BANK_VERSION = 2;
const MAX_LABELS = 1_000_000;
const MAX_LABEL_CHARS = 4096;
const MAX_HIDDEN = 16384;
const MAX_META_BYTES = 1 << 16;
const FIX = "rebuild it with `python -m runtime --model DIR --labels-file FILE --save-bank BANK`";

/** A bank: labels, embeddings [N * hidden] and the facts that made it. */
export class LabelBank {
  constructor(labels, embeds, hidden, meta) {
    this.labels = Object.freeze([...labels]);
    this.embeds = embeds;
    this.hidden = hidden;
    this.weightsSha256 = meta.weights_sha256;
    this.precision = meta.precision;
    this.labelsTokenizerSha256 = meta.labels_tokenizer_sha256;
    Object.freeze(this);
  }

  get length() {
    return this.labels.length;
  }

  describe() {
    return describeIdentity(this.weightsSha256, this.precision, this.labelsTokenizerSha256);
  }
}

export function describeIdentity(weights, precision, labelsTokenizer) {
  return `weights sha256 ${String(weights).slice(0, 16)}..., precision ${precision}, labels tokenizer sha256 ${String(labelsTokenizer).slice(0, 16)}...`;
}

/** The stored members of a zip: name -> Uint8Array view of its data. */
function zipMembers(bytes, where) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const notZip = (why) => new BankError(`${where} is not a label bank: not the .npz archive LabelBank.save writes (${why}); ${FIX}`);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) {
    if (dv.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw notZip("no end of central directory");
  let count = dv.getUint16(eocd + 10, true);
  let cdOffset = dv.getUint32(eocd + 16, true);
  if (cdOffset === 0xffffffff || count === 0xffff) {
    const loc = eocd - 20;
    if (loc < 0 || dv.getUint32(loc, true) !== 0x07064b50) throw notZip("zip64 locator missing");
    const z64 = Number(dv.getBigUint64(loc + 8, true));
    if (z64 + 56 > bytes.length || dv.getUint32(z64, true) !== 0x06064b50) throw notZip("zip64 record missing");
    count = Number(dv.getBigUint64(z64 + 32, true));
    cdOffset = Number(dv.getBigUint64(z64 + 48, true));
  }
  if (count > 16) throw new BankError(`${where} holds ${count} members; a label bank holds 3; ${FIX}`);
  const out = {};
  let p = cdOffset;
  const dec = new TextDecoder("utf-8", { fatal: false });
  for (let n = 0; n < count; n++) {
    if (p + 46 > bytes.length || dv.getUint32(p, true) !== 0x02014b50) throw notZip("broken central directory");
    const method = dv.getUint16(p + 10, true);
    let csize = dv.getUint32(p + 20, true);
    let usize = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    let local = dv.getUint32(p + 42, true);
    const name = dec.decode(bytes.subarray(p + 46, p + 46 + nameLen));
    // zip64 extra field: the 64-bit values of those that read 0xffffffff, in this order.
    let e = p + 46 + nameLen;
    const eEnd = e + extraLen;
    while (e + 4 <= eEnd) {
      const id = dv.getUint16(e, true);
      const len = dv.getUint16(e + 2, true);
      if (id === 1) {
        let q = e + 4;
        if (usize === 0xffffffff) { usize = Number(dv.getBigUint64(q, true)); q += 8; }
        if (csize === 0xffffffff) { csize = Number(dv.getBigUint64(q, true)); q += 8; }
        if (local === 0xffffffff) { local = Number(dv.getBigUint64(q, true)); q += 8; }
      }
      e += 4 + len;
    }
    if (method !== 0) {
      throw new BankError(`${where}: member ${name} is compressed; LabelBank.save stores its arrays uncompressed; ${FIX}`);
    }
    if (csize !== usize) throw notZip(`member ${name} sizes disagree`);
    if (local + 30 > bytes.length || dv.getUint32(local, true) !== 0x04034b50) throw notZip(`member ${name} has no local header`);
    const start = local + 30 + dv.getUint16(local + 26, true) + dv.getUint16(local + 28, true);
    if (start + usize > bytes.length) throw new BankError(`${where}: member ${name} runs past the end of the file: truncated; ${FIX}`);
    out[name] = bytes.subarray(start, start + usize);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

const EXPECT = { labels: ["U", 1, 4 * MAX_LABEL_CHARS], embeds: ["f", 2, 4], meta: ["U", 0, 4 * MAX_META_BYTES] };

/** One .npy member: its header checked against the member's size, then { shape, itemsize, data }. */
function npy(member, name, where) {
  const bad = (why) => new BankError(`${where}: ${name}.npy is not a readable .npy array (${why}); ${FIX}`);
  if (member.length < 10 || member[0] !== 0x93 || String.fromCharCode(...member.subarray(1, 6)) !== "NUMPY") throw bad("no magic");
  const major = member[6];
  const dv = new DataView(member.buffer, member.byteOffset, member.byteLength);
  let hlen, hstart;
  if (major === 1) { hlen = dv.getUint16(8, true); hstart = 10; }
  else if (major === 2 || major === 3) { hlen = dv.getUint32(8, true); hstart = 12; }
  else throw bad(`version ${major}`);
  if (hstart + hlen > member.length) throw bad("header past the member");
  const header = new TextDecoder("latin1").decode(member.subarray(hstart, hstart + hlen));
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw bad("header not understood");
  const shape = shapeText.split(",").map((s) => s.trim()).filter((s) => s.length).map(Number);
  if (descr.includes("O")) throw new BankError(`${where}: ${name}.npy holds pickled objects, which a label bank never does; ${FIX}`);
  const m = /^([<|=>])([a-zA-Z])(\d+)$/.exec(descr);
  const [kind, ndim, maxItem] = EXPECT[name];
  const itemsize = m ? Number(m[3]) * (m[2] === "U" ? 4 : 1) : 0;
  if (!m || m[1] === ">" || m[2] !== kind || shape.length !== ndim || fortran === "True" || itemsize > maxItem || !shape.every(Number.isSafeInteger)) {
    const want = { labels: "a 1-D unicode array", embeds: "a 2-D float32 array", meta: "a unicode string" }[name];
    throw new BankError(`${where}: ${name} must be ${want} (little-endian, C order), got ${descr} [${shape}]; ${FIX}`);
  }
  if ((name === "labels" && shape[0] > MAX_LABELS) || (name === "embeds" && (shape[0] > MAX_LABELS || shape[1] > MAX_HIDDEN))) {
    throw new BankError(`${where}: ${name} declares shape [${shape}], beyond what a bank holds (${MAX_LABELS} labels, ${MAX_HIDDEN} wide); ${FIX}`);
  }
  const nbytes = shape.reduce((a, b) => a * b, 1) * itemsize;
  if (hstart + hlen + nbytes !== member.length) {
    throw new BankError(`${where}: ${name}.npy declares [${shape}] ${descr} (${nbytes} bytes) but the member holds ${member.length - hstart - hlen}: the file is truncated or was edited; ${FIX}`);
  }
  return { shape, itemsize, data: member.subarray(hstart + hlen) };
}

function utf32(data, itemsize, count) {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out = [];
  for (let i = 0; i < count; i++) {
    let s = "";
    for (let j = 0; j < itemsize; j += 4) {
      const cp = dv.getUint32(i * itemsize + j, true);
      if (cp === 0) break;
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw new BankError(`label ${i} holds an invalid code point; ${FIX}`);
      s += String.fromCodePoint(cp);
    }
    out.push(s);
  }
  return out;
}

/** runtime.bank.labels_digest: sha256 of each label as its UTF-8 length (uint32 LE) then its UTF-8 bytes. */
export async function labelsDigest(labels) {
  const enc = new TextEncoder();
  const parts = labels.map((l) => enc.encode(l));
  const buf = new Uint8Array(parts.reduce((a, p) => a + 4 + p.length, 0));
  const dv = new DataView(buf.buffer);
  let o = 0;
  for (const p of parts) {
    dv.setUint32(o, p.length, true);
    buf.set(p, o + 4);
    o += 4 + p.length;
  }
  return sha256Hex(buf);
}

/** Parse bank bytes fetched from `where`: a LabelBank, or a BankError naming what is wrong. */
export async function parseBank(bytes, where) {
  const members = zipMembers(bytes, where);
  const names = Object.keys(members);
  const missing = ["labels", "embeds", "meta"].filter((k) => !(`${k}.npy` in members));
  if (missing.length) throw new BankError(`${where} is not a label bank (no ${missing.join(", ")} array); ${FIX}`);
  const extra = names.filter((n) => !["labels.npy", "embeds.npy", "meta.npy"].includes(n));
  if (extra.length) throw new BankError(`${where} holds members a label bank does not (${extra.slice(0, 3).join(", ")}); ${FIX}`);
  const L = npy(members["labels.npy"], "labels", where);
  const E = npy(members["embeds.npy"], "embeds", where);
  const M = npy(members["meta.npy"], "meta", where);
  let meta;
  try {
    meta = JSON.parse(utf32(M.data, M.itemsize, 1)[0]);
  } catch {
    throw new BankError(`${where}: its meta record is not JSON; ${FIX}`);
  }
  if (!meta || typeof meta !== "object" || meta.format !== BANK_FORMAT) throw new BankError(`${where} is not a ${BANK_FORMAT} file; ${FIX}`);
  if (meta.version !== BANK_VERSION) {
    throw new BankError(`${where} is bank version ${JSON.stringify(meta.version)}; this runtime reads ${BANK_VERSION} (version 2 records a digest of the labels and rows); ${FIX}`);
  }
  for (const key of ["weights_sha256", "precision", "labels_tokenizer_sha256", "labels_sha256", "embeds_sha256"]) {
    if (typeof meta[key] !== "string") throw new BankError(`${where}: meta.${key} is missing; ${FIX}`);
  }
  const labels = utf32(L.data, L.itemsize, L.shape[0]);
  const [rows, hidden] = E.shape;
  if (labels.length === 0) throw new BankError(`${where} holds no labels: a bank needs at least one entity type; ${FIX}`);
  if (rows !== labels.length) {
    throw new BankError(`${where} holds ${labels.length} labels but embeddings of shape [${E.shape}]: one row per label is needed; ${FIX}`);
  }
  const embeds = new Float32Array(rows * hidden);
  new Uint8Array(embeds.buffer).set(E.data); // float32 little-endian, as every browser is
  for (let r = 0; r < rows; r++) {
    for (let h = 0; h < hidden; h++) {
      if (!Number.isFinite(embeds[r * hidden + h])) {
        throw new BankError(`${where}: embedding row ${r} (label ${JSON.stringify(labels[r])}) holds NaN or inf: every score would be NaN; ${FIX}`);
      }
    }
  }
  if (new Set(labels).size !== labels.length) {
    const seen = new Set();
    const dup = labels.find((x) => seen.has(x) || !seen.add(x));
    throw new BankError(`${where} lists label ${JSON.stringify(dup)} twice; ${FIX}`);
  }
  if ((await labelsDigest(labels)) !== meta.labels_sha256) {
    throw new BankError(`${where}: its labels are not the ones it was saved with (their sha256 differs from meta.labels_sha256): the file was edited; ${FIX}`);
  }
  if ((await sha256Hex(new Uint8Array(embeds.buffer))) !== meta.embeds_sha256) {
    throw new BankError(
      `${where}: its embedding rows are not the ones it was saved with (their sha256 differs from meta.embeds_sha256: rows edited, reordered or replaced), so labels would score with another label's row; ${FIX}`,
    );
  }
  return new LabelBank(labels, embeds, hidden, meta);
}
