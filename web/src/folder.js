// Which graphs of a verified manifest this page runs, for a precision and the load options (maxSeqLen, spanScoring,
// windowOverlap), and every reason the folder cannot serve them, named: a pure function, tested in node.
import { ArtifactError, InputError, ManifestError, UnsupportedFolderError } from "./errors.js";
import { contract, tensorDifferences } from "./manifest.js";
import { defaultOverlap } from "./windows.js";

export function convertHint(url, precision) {
  return `convert it with \`python -m convert --model <GLiNER model> --out <folder> --web --precisions ${precision}\` and serve that folder (${url})`;
}

/** The bundle, its graphs and buckets, the scoring path and the window limits, as fields of the GLiNER object. */
export function planFolder(manifest, precision, base, { windowOverlap = null, spanScoring = null, maxSeqLen = null } = {}) {
  const m = manifest;
  const out = {};
  const c = manifest.config;
  if (c.subtokenPooling !== "first") throw new UnsupportedFolderError(`${m.url}: subtoken_pooling ${JSON.stringify(c.subtokenPooling)} is not supported; only 'first' is`);
  if (c.wordsSplitterType !== "whitespace") throw new UnsupportedFolderError(`${m.url}: words_splitter_type ${JSON.stringify(c.wordsSplitterType)} is not supported; only 'whitespace' is`);
  const mine = Object.values(m.artifacts).filter((a) => a.precision === precision);
  const bundle = mine.find((a) => a.layout === "bundle");
  if (!bundle) {
    const present = [...new Set(Object.values(m.artifacts).map((a) => a.precision))].join(", ") || "none";
    if (mine.length) {
      throw new UnsupportedFolderError(
        `${base.href} holds the ${precision} graphs only as seed-named files (${mine[0].file}, ...), whose int64 inputs LiteRT.js cannot ` +
          `load (it takes float32, int32 and uint8 tensors): convert with the bundle layout, e.g. \`python -m convert --model <GLiNER model> ` +
          `--out <folder> --web --precisions ${precision}\`, whose inputs are int32`,
      );
    }
    throw new UnsupportedFolderError(`${base.href} has no ${precision} graphs (precisions present: ${present}); pick one of those or ${convertHint(base.href, precision)}`);
  }
  out.bundle = bundle;
  const by = (comp) => bundle.graphs.filter((g) => g.variant.component === comp).sort((a, b) => a.variant.seqLen - b.variant.seqLen);
  out.labelsGraph = by("labels")[0];
  out.bulkGraph = by("labels_bulk")[0] ?? null;
  out.promptsGraph = by("prompts")[0] ?? null;
  const buckets = (comp) => by(comp).map((g) => ({ graph: g, seqLen: g.variant.seqLen, maxTokens: Math.min(g.variant.seqLen, g.maxValidTokens) }));
  if (maxSeqLen !== null && !(Number.isInteger(maxSeqLen) && maxSeqLen > 0)) {
    throw new InputError(`maxSeqLen must be a positive integer (a bucket size) or null, got ${JSON.stringify(maxSeqLen)}`);
  }
  // maxSeqLen: no bucket larger than this; a longer text runs as windows of the largest allowed one (less memory).
  const cap = (list) => {
    if (maxSeqLen === null) return list;
    const kept = list.filter((b) => b.seqLen <= maxSeqLen);
    if (list.length && !kept.length) {
      throw new InputError(`maxSeqLen ${maxSeqLen} is below the smallest bucket (${list[0].seqLen}); pass one of the buckets ${list.map((b) => b.seqLen).join(", ")} or null`);
    }
    return kept;
  };
  // A token-level model's text graphs are its token graphs (token.js); it has no span graphs.
  out.tokenLevel = c.spanMode === "token_level";
  out.textBuckets = cap(buckets(out.tokenLevel ? "tokens" : "text"));
  out.spanBuckets = cap(buckets("spans"));
  if (!out.labelsGraph || !out.textBuckets.length) {
    throw new ArtifactError(`${base.href}${bundle.file} has no ${out.labelsGraph ? "text encoder" : "labels encoder"} graph; ${convertHint(base.href, precision)}`);
  }
  for (const g of bundle.graphs) {
    const want = contract(g.variant, c);
    const differ = [...tensorDifferences(g.inputs, want.inputs), ...tensorDifferences(g.outputs, want.outputs)];
    if (differ.length) {
      throw new ManifestError(
        `${m.url}: artifacts.${bundle.stem}.graphs (${g.variantName}) does not fit config.max_width ${c.maxWidth}, config.hidden_size ${c.hiddenSize} and ` +
          `config.max_types ${c.maxTypes} in the bundle's contract: ${differ.join("; ")}. The config and the graph records disagree (one was edited); reconvert the folder with \`python -m convert ... --force\``,
      );
    }
  }
  const hasSpans = Boolean(out.promptsGraph) && out.spanBuckets.length > 0;
  if (spanScoring === true && !hasSpans) throw new UnsupportedFolderError(`${base.href} has no ${precision} span graphs (text_spans_seq*, label_prompts): reconvert it as a bundle, or pass spanScoring: null`);
  if (spanScoring !== null && typeof spanScoring !== "boolean") throw new InputError(`spanScoring must be null, true or false, got ${JSON.stringify(spanScoring)}`);
  out.spanScoring = spanScoring === null ? hasSpans : spanScoring;
  out._spanAuto = spanScoring === null && hasSpans &&
    JSON.stringify(out.textBuckets.map((b) => b.seqLen)) === JSON.stringify(out.spanBuckets.map((b) => b.seqLen));
  out.buckets = out.spanScoring && !out._spanAuto ? out.spanBuckets : out.textBuckets;
  const least = 2 * c.maxWidth;
  if (windowOverlap === null) out.windowOverlap = defaultOverlap(c.maxWidth);
  else if (!Number.isInteger(windowOverlap) || windowOverlap < least) {
    throw new InputError(`windowOverlap must be a whole number of words >= ${least} (2 * config.max_width), got ${JSON.stringify(windowOverlap)}; leave it null for the default ${defaultOverlap(c.maxWidth)}`);
  } else out.windowOverlap = windowOverlap;
  out.maxTokens = Math.max(...out.buckets.map((b) => b.maxTokens));
  out.maxWords = Math.min(c.maxLen, Math.max(...out.buckets.map((b) => b.seqLen)));
  return out;
}
