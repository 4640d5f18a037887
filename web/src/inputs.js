// The graphs' host-side inputs, a port of common/inputs.py (docs/RUNTIME.md: the bundle's int32 contract).

/** Token position of each word's first sub-token (prepare_word_mask with subtoken_pooling "first"). */
export function firstSubwordPositions(wordIds) {
  const out = [];
  let prev = null;
  for (let pos = 0; pos < wordIds.length; pos++) {
    const w = wordIds[pos];
    if (w !== null && w !== prev) out.push(pos);
    prev = w;
  }
  return out;
}

/** build_text_inputs without labels: the four word-level arrays [1, S] and span_idx [1, S * W, 2], int32. */
export function buildTextInputs(ids, wordIds, numWords, seqLen, maxWidth, padTokenId) {
  if (ids.length > seqLen) throw new Error(`${ids.length} tokens do not fit seq_len ${seqLen}`);
  if (numWords > seqLen) throw new Error(`${numWords} words do not fit seq_len ${seqLen}`);
  const inputIds = new Int32Array(seqLen).fill(padTokenId);
  inputIds.set(ids);
  const mask = new Int32Array(seqLen);
  mask.fill(1, 0, ids.length);
  const firsts = firstSubwordPositions(wordIds).slice(0, numWords);
  const positions = new Int32Array(seqLen);
  positions.set(firsts);
  const valid = new Int32Array(seqLen);
  valid.fill(1, 0, firsts.length);
  const spanIdx = new Int32Array(seqLen * maxWidth * 2);
  for (let s = 0; s < seqLen; s++) {
    for (let k = 0; k < maxWidth; k++) {
      if (s + k < numWords) {
        const r = (s * maxWidth + k) * 2;
        spanIdx[r] = s;
        spanIdx[r + 1] = s + k;
      }
    }
  }
  return {
    input_ids: inputIds, attention_mask: mask, first_subword_positions: positions, word_valid_mask: valid,
    span_idx: spanIdx,
  };
}

/** build_labels_inputs: up to `rows` label encodings -> ids and mask [rows, labelTokens]; spare rows hold the
 * empty string's encoding; an encoding past labelTokens keeps its first labelTokens - 1 ids and its last. */
export function buildLabelsInputs(encodings, emptyEncoding, rows, labelTokens) {
  if (encodings.length > rows) throw new Error(`${encodings.length} labels in one call; this graph takes ${rows}`);
  const ids = new Int32Array(rows * labelTokens);
  const mask = new Int32Array(rows * labelTokens);
  for (let i = 0; i < rows; i++) {
    let row = i < encodings.length ? encodings[i] : emptyEncoding;
    if (row.length > labelTokens) row = [...row.slice(0, labelTokens - 1), row[row.length - 1]];
    ids.set(row, i * labelTokens);
    mask.fill(1, i * labelTokens, i * labelTokens + row.length);
  }
  return { input_ids: ids, attention_mask: mask };
}
