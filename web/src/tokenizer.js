// Tokenization as HF `tokenizers` does it for this runtime: `encode(words, is_pretokenized=True)` (ids and word ids)
// for the text, `encode(label)` for labels (docs/RUNTIME.md, Preprocessing 5 and 8). The model, added tokens and
// byte-level pieces come from @huggingface/tokenizers; its BertNormalizer and BertPreTokenizer differ from the
// Rust ones on control and CJK characters and on whitespace, so those two are ported here from
// tokenizers/src/normalizers/bert.rs and pre_tokenizers/bert.rs.

import { Tokenizer } from "@huggingface/tokenizers";
import { ArtifactError } from "./errors.js";

const CONTROL = /\p{C}/u; // char::is_other: Cc, Cf, Cn, Co, Cs
const WHITE = /\p{White_Space}/u; // char::is_whitespace
const NONSPACING = /\p{Mn}/gu;
const PUNCT = /\p{P}/u;

function isChineseChar(cp) {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) || (cp >= 0x2b740 && cp <= 0x2b81f) || (cp >= 0x2b920 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/** tokenizers' BertNormalizer::normalize, per code point as the Rust one works. */
export function bertNormalize(text, config) {
  let out = "";
  for (const ch of text) {
    const cp = ch.codePointAt(0);
    if (config.clean_text) {
      const ws = ch === "\t" || ch === "\n" || ch === "\r";
      if (cp === 0 || cp === 0xfffd || (!ws && CONTROL.test(ch))) continue;
      if (ws || WHITE.test(ch)) {
        out += " ";
        continue;
      }
    }
    if (config.handle_chinese_chars && isChineseChar(cp)) out += ` ${ch} `;
    else out += ch;
  }
  const strip = config.strip_accents ?? config.lowercase;
  if (strip) out = out.normalize("NFD").replace(NONSPACING, "");
  if (config.lowercase) {
    let low = "";
    for (const ch of out) low += ch.toLowerCase(); // char::to_lowercase: one code point at a time
    out = low;
  }
  return out;
}

function isBertPunct(ch) {
  const c = ch.codePointAt(0);
  return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126) ||
    PUNCT.test(ch);
}

/** tokenizers' BertPreTokenizer: split on whitespace (removed) and on each punctuation character (kept). */
export function bertPreTokenize(text) {
  const out = [];
  let cur = "";
  for (const ch of text) {
    if (WHITE.test(ch)) {
      if (cur) out.push(cur);
      cur = "";
    } else if (isBertPunct(ch)) {
      if (cur) out.push(cur);
      out.push(ch);
      cur = "";
    } else cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

/** A tokenizer.json, as the runtime uses it: pre-tokenized words with word ids, and single labels. */
export class WordsTokenizer {
  /** `json`: the parsed tokenizer.json; `where`: its path, for messages. */
  constructor(json, where = "tokenizer.json") {
    let tok;
    try {
      tok = new Tokenizer(json, {});
    } catch (e) {
      throw new ArtifactError(`${where} is not a tokenizer.json this runtime can read (${e.message}); reconvert the folder`);
    }
    const norm = json.normalizer;
    if (norm && norm.type === "BertNormalizer") tok.normalizer = (t) => bertNormalize(t, norm);
    if (json.pre_tokenizer && json.pre_tokenizer.type === "BertPreTokenizer") tok.pre_tokenizer = (t) => bertPreTokenize(t);
    const pp = json.post_processor;
    if (!pp || pp.type !== "TemplateProcessing") {
      throw new ArtifactError(
        `${where}: post_processor ${pp ? pp.type : "null"} is not supported by the web runtime (TemplateProcessing is, ` +
          "as every gliner-litert folder has)",
      );
    }
    // The single-sequence template: special tokens before and after sequence A.
    this.before = [];
    this.after = [];
    let seenA = false;
    for (const piece of pp.single) {
      if (piece.Sequence) {
        seenA = true;
        continue;
      }
      const ids = pp.special_tokens[piece.SpecialToken.id].ids;
      (seenA ? this.after : this.before).push(...ids);
    }
    this.tok = tok;
    this.vocabSize = tok.model.vocab.length;
    this.numSpecialTokens = this.before.length + this.after.length;
  }

  _ids(pieces) {
    const m = this.tok.model.tokens_to_ids;
    const added = this.tok.added_tokens_map;
    const unk = this.tok.model.unk_token_id;
    return pieces.map((t) => added.get(t)?.id ?? m.get(t) ?? unk);
  }

  /** Token ids of one piece of text, no special tokens (one word of a pre-tokenized input, or a label). */
  encodePiece(text) {
    return this._ids(this.tok.encode_text(text));
  }

  /**
   * `encode(words, is_pretokenized=True)`: { ids, wordIds } with the template's special tokens (word id null).
   * `maxTokens`: truncate the sequence so ids fit, as a truncating tokenizer does (only one over-long word needs it).
   */
  encodeWords(words, maxTokens = Infinity) {
    const ids = [...this.before];
    const wordIds = this.before.map(() => null);
    const limit = maxTokens - this.numSpecialTokens;
    for (let w = 0; w < words.length; w++) {
      for (const id of this.encodePiece(words[w])) {
        if (ids.length - this.before.length >= limit) break;
        ids.push(id);
        wordIds.push(w);
      }
    }
    for (const id of this.after) {
      ids.push(id);
      wordIds.push(null);
    }
    return { ids, wordIds };
  }

  /** `encode(label)`: token ids with the special tokens. */
  encode(text) {
    return [...this.before, ...this.encodePiece(text), ...this.after];
  }
}
