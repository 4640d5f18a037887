// Words with their offsets, as runtime/words.py: the pattern \w+(?:[-_]\w+)*|\S with Python `re` semantics
// (\w and \s from Python's Unicode tables, pytables.js), code points as units; offsets are UTF-16 indices into the
// JS string, so text.slice(start, end) is the word, also for astral characters.

import { SPACE_RANGES, WORD_RANGES } from "./pytables.js";
import { InputError } from "./errors.js";

function inRanges(table, cp) {
  let lo = 0;
  let hi = (table.length >> 1) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < table[2 * mid]) hi = mid - 1;
    else if (cp > table[2 * mid + 1]) lo = mid + 1;
    else return true;
  }
  return false;
}

const ASCII_WORD = new Uint8Array(128);
for (let c = 0; c < 128; c++) ASCII_WORD[c] = inRanges(WORD_RANGES, c) ? 1 : 0;

/** Python's `\w` for one code point. */
export function isWordChar(cp) {
  return cp < 128 ? ASCII_WORD[cp] === 1 : inRanges(WORD_RANGES, cp);
}

/** Python's `\s` for one code point. */
export function isSpaceChar(cp) {
  return cp < 128 ? cp === 32 || (cp >= 9 && cp <= 13) || (cp >= 28 && cp <= 31) : inRanges(SPACE_RANGES, cp);
}

/** The first lone surrogate of `s` (not valid Unicode: the tokenizers cannot take it), or -1. */
export function loneSurrogate(s) {
  if (typeof s.isWellFormed === "function" && s.isWellFormed()) return -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
      return i;
    }
    if (c >= 0xdc00 && c <= 0xdfff) return i;
  }
  return -1;
}

/** Refuses a lone surrogate, as runtime/checks.py check_unicode (offsets here are UTF-16 units). */
export function checkUnicode(s, what) {
  const i = loneSurrogate(s);
  if (i >= 0) {
    const hex = s.charCodeAt(i).toString(16).toUpperCase().padStart(4, "0");
    throw new InputError(
      `${what} holds a lone surrogate U+${hex} at UTF-16 index ${i}: not valid Unicode, so it cannot be tokenized. ` +
        "Decode the source bytes as UTF-8 correctly, or replace surrogates one for one (offsets unchanged): " +
        "s.toWellFormed()",
    );
  }
}

/**
 * Split `text` into words: { words, starts, ends } (end exclusive, UTF-16 offsets), the same words as
 * runtime.words.split_words. `splitterType` must be "whitespace" (the only one the runtime supports).
 */
export function splitWords(text, splitterType = "whitespace") {
  if (splitterType !== "whitespace") {
    throw new InputError(
      `words splitter type ${JSON.stringify(splitterType)} is not supported: only 'whitespace' is supported by ` +
        "the torch-free runtime",
    );
  }
  const words = [];
  const starts = [];
  const ends = [];
  const n = text.length;
  let i = 0;
  const cpAt = (k) => text.codePointAt(k);
  const width = (cp) => (cp > 0xffff ? 2 : 1);
  while (i < n) {
    const cp = cpAt(i);
    if (isWordChar(cp)) {
      let j = i + width(cp);
      for (;;) {
        while (j < n && isWordChar(cpAt(j))) j += width(cpAt(j));
        // (?:[-_]\w+)*: a hyphen (or underscore, already \w) joins only if a word character follows it.
        if (j + 1 < n && text.charCodeAt(j) === 45 && isWordChar(cpAt(j + 1))) {
          j += 1;
          continue;
        }
        break;
      }
      words.push(text.slice(i, j));
      starts.push(i);
      ends.push(j);
      i = j;
    } else if (isSpaceChar(cp)) {
      i += width(cp);
    } else {
      const j = i + width(cp);
      words.push(text.slice(i, j));
      starts.push(i);
      ends.push(j);
      i = j;
    }
  }
  return { words, starts, ends };
}
