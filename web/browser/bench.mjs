// Times the web runtime in headless Chromium for scripts/web_bench.py: per bundle (a fresh browser each) the load,
// then for each text a first call (label cache cleared) and the median of warm calls; the renderer's memory from
// /proc. Prints one JSON object.   node web/browser/bench.mjs SPEC.json
import { readFileSync, readdirSync } from "node:fs";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { launch } from "./chromium.mjs";
import { serve } from "../serve.mjs";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const spec = JSON.parse(readFileSync(process.argv[2], "utf8"));

function renderers(profile) {
  // The renderer processes of this browser (its --user-data-dir names our fresh profile): VmRSS and VmHWM in bytes.
  const out = [];
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (!cmd.includes("--type=renderer") || !cmd.includes(profile)) continue;
      const st = readFileSync(`/proc/${pid}/status`, "utf8");
      const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(st)?.[1] ?? 0) * 1024;
      out.push({ pid: Number(pid), rss: kb("VmRSS"), hwm: kb("VmHWM") });
    } catch { /* gone */ }
  }
  return out;
}

const server = await serve({ root: ROOT, port: 0 });
const origin = `http://127.0.0.1:${server.address().port}`;
const results = [];
for (const b of spec.bundles) {
  const { browser, page, profile } = await launch(spec.args ?? []);
  const row = { name: b.name, precision: b.precision, folder: b.folder };
  try {
    await page.goto(`${origin}/web/demo/?autoload=0`);
    await page.waitForFunction(() => globalThis.GLiNER);
    row.threads = await page.evaluate(() => globalThis.crossOriginIsolated);
    Object.assign(row, await page.evaluate(async ([folder, precision, texts, labels, repeats]) => {
      const out = { texts: {} };
      let t = performance.now();
      try {
        globalThis.__m = await GLiNER.load(folder, { precision });
      } catch (e) {
        return { loaded: false, error: `${e.name}: ${e.message}` };
      }
      out.loaded = true;
      out.loadMs = performance.now() - t;
      for (const [n, text] of Object.entries(texts)) {
        __m.clearLabelCache();
        t = performance.now();
        let ents;
        try {
          ents = await __m.predictEntities(text, labels);
        } catch (e) {
          out.error = `loaded in ${out.loadMs.toFixed(0)} ms, then the first call on ${n} words failed: ${e.name}: ${String(e.message).slice(0, 300)}`;
          return out;
        }
        const first = performance.now() - t;
        const warm = [];
        for (let i = 0; i < repeats; i++) {
          t = performance.now();
          await __m.predictEntities(text, labels);
          warm.push(performance.now() - t);
        }
        warm.sort((a, b) => a - b);
        out.texts[n] = { firstMs: first, warmMs: warm[Math.floor(warm.length / 2)], entities: ents.length };
      }
      if (performance.measureUserAgentSpecificMemory) {
        try {
          const m = await Promise.race([performance.measureUserAgentSpecificMemory(), new Promise((r) => setTimeout(() => r(null), 30000))]);
          if (m) out.measuredBytes = m.bytes;
        } catch (e) { out.measuredError = String(e); }
      }
      return out;
    }, [`/${relative(ROOT, b.folder)}/`, b.precision, spec.texts, spec.labels, spec.repeats ?? 5]));
  } catch (e) {
    row.loaded = false;
    row.error = String(e?.message ?? e).slice(0, 500);
  }
  const r = renderers(profile);
  row.rendererRssBytes = Math.max(0, ...r.map((x) => x.rss));
  row.rendererPeakBytes = Math.max(0, ...r.map((x) => x.hwm));
  results.push(row);
  await browser.close();
}
server.close();
console.log(JSON.stringify({ results }));
