// Overlapping word windows for texts longer than one graph call, and the rule that stitches them back: a port of
// runtime/windows.py (docs/RUNTIME.md "Long texts"). A window is {start, stop, ownStart, ownStop} in words.

/** Words two neighbouring windows share by default. */
export function defaultOverlap(maxWidth) {
  return 4 * maxWidth;
}

/** Tokens of each word, from one encoding's word ids (special tokens: null). */
export function tokensPerWord(wordIds, numWords) {
  const counts = new Array(numWords).fill(0);
  for (const w of wordIds) if (w !== null) counts[w] += 1;
  return counts;
}

/** runtime.windows.plan_windows: greedy windows within maxTokens (specials included) and maxWords. */
export function planWindows(tokenCounts, specialTokens, maxTokens, maxWords, overlap) {
  const n = tokenCounts.length;
  if (n === 0) return [];
  const budget = maxTokens - specialTokens;
  const spans = [];
  let a = 0;
  for (;;) {
    let b = a;
    let used = 0;
    while (b < n && b - a < maxWords && used + tokenCounts[b] <= budget) {
      used += tokenCounts[b];
      b += 1;
    }
    b = Math.max(b, a + 1);
    spans.push([a, b]);
    if (b >= n) break;
    const stepBack = Math.min(overlap, Math.floor((b - a) / 2));
    a = Math.max(b - stepBack, a + 1);
  }
  return spans.map(([s, e], i) => ({
    start: s,
    stop: e,
    ownStart: i === 0 ? 0 : Math.floor((spans[i - 1][1] + s) / 2),
    ownStop: i === spans.length - 1 ? n : Math.floor((e + spans[i + 1][0]) / 2),
  }));
}

/** runtime.windows.plan_smallest_buckets: as few windows as the largest bucket allows, in the smallest bucket
 * that keeps that count with every window whole. `budgets`: [[maxTokens, maxWords], ...], smallest first. */
export function planSmallestBuckets(tokenCounts, specialTokens, budgets, overlap) {
  const largest = planWindows(tokenCounts, specialTokens, ...budgets[budgets.length - 1], overlap);
  for (const [maxTokens, maxWords] of budgets.slice(0, -1)) {
    const windows = planWindows(tokenCounts, specialTokens, maxTokens, maxWords, overlap);
    if (windows.length === largest.length && windows.every((w) => {
      let sum = specialTokens;
      for (let i = w.start; i < w.stop; i++) sum += tokenCounts[i];
      return sum <= maxTokens;
    })) return windows;
  }
  return largest;
}
