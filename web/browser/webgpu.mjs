// LiteRT.js's WebGPU accelerator in headless Chromium (--enable-unsafe-webgpu: Chromium's software adapter,
// SwiftShader, when no GPU is present): every signature of a bundle run on WebGPU and on wasm with the same inputs,
// and entities of a few texts; writes docs/web-webgpu.json (rendered into docs/WEB.md by scripts/web_bench.py).
//   node web/browser/webgpu.mjs [--artifacts build/tiny-trained-web] [--precisions fp32,int8]
import { writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { launch } from "./chromium.mjs";
import { serve } from "../serve.mjs";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const ARTIFACTS = join(ROOT, arg("artifacts", "build/tiny-trained-web"));
const PRECISIONS = arg("precisions", "fp32,int8").split(",");
const JSPI = process.argv.includes("--jspi");
const FLAGS = ["--enable-unsafe-webgpu"];
const server = await serve({ root: ROOT, port: 0 });
const origin = `http://127.0.0.1:${server.address().port}`;
const { browser, page } = await launch(FLAGS, { gpu: true });
const report = { jspi: JSPI, flags: FLAGS, artifacts: relative(ROOT, ARTIFACTS), precisions: {} };
try {
  await page.goto(`${origin}/web/demo/?autoload=0`);
  await page.waitForFunction(() => globalThis.GLiNER);
  report.adapter = await page.evaluate(async () => {
    const a = await navigator.gpu?.requestAdapter();
    return a ? { vendor: a.info?.vendor, architecture: a.info?.architecture, fallback: a.info?.isFallbackAdapter ?? a.isFallbackAdapter } : null;
  });
  for (const precision of PRECISIONS) {
    report.precisions[precision] = await page.evaluate(async ([folder, precision, jspi]) => {
      const { buildLabelsInputs } = await import("/web/src/inputs.js");
      const out = { signatures: {} };
      const cpu = await GLiNER.load(folder, { precision, jspi });
      let gpu;
      try {
        gpu = await GLiNER.load(folder, { precision, accelerator: "webgpu", jspi });
        out.loaded = true;
        out.fullyAccelerated = gpu.engine.fullyAccelerated;
      } catch (e) {
        out.loaded = false;
        out.error = `${e.name}: ${e.message}`;
        cpu.dispose();
        return out;
      }
      const labels = ["person", "organization", "location", "date", "product", "event", "disease", "money"];
      const text = "Maria Garcia joined Acme Corp in Paris on May 3, 2021 and paid 200 dollars for a Galaxy S24.";
      const { maxTypes: T, labelTokens: L, hiddenSize: H, maxWidth: W } = cpu.config;
      const enc = labels.map((l) => cpu.labelsTokenizer.encode(l));
      const embeds = await cpu.encodeLabels(labels);
      const prepared = cpu._prepare(text, "window");
      const feeds = {};
      for (const g of cpu.bundle.graphs) {
        const c = g.variant.component;
        if (c === "labels" || c === "labels_bulk") {
          const rows = c === "labels" ? T : 128;
          const inp = buildLabelsInputs(enc, cpu._emptyLabel, rows, L);
          feeds[g.signature] = { input_ids: [inp.input_ids, [rows, L]], attention_mask: [inp.attention_mask, [rows, L]] };
        } else if (c === "prompts") {
          const feed = new Float32Array(128 * H);
          feed.set(embeds);
          feeds[g.signature] = { labels_embeds: [feed, [128, H]] };
        } else {
          const S = g.variant.seqLen;
          const w = prepared.windows[0];
          const bucket = { graph: g, seqLen: S, maxTokens: S };
          const { feed, spanIdx } = cpu._encodeWindow(prepared, w, [bucket]);
          const lab = new Float32Array(T * H);
          lab.set(embeds);
          feeds[g.signature] = c === "spans" ? feed : { ...feed, labels_embeds: [lab, [1, T, H]], span_idx: [spanIdx, [1, S * W, 2]] };
        }
      }
      for (const [sig, feed] of Object.entries(feeds)) {
        try {
          const t0 = performance.now();
          const a = await cpu.engine.run(sig, feed);
          const t1 = performance.now();
          const b = await gpu.engine.run(sig, feed);
          const t2 = performance.now();
          const name = Object.keys(a)[0];
          let maxAbs = 0;
          let ref = 0;
          let nonFinite = 0;
          for (let i = 0; i < a[name].length; i++) {
            if (!Number.isFinite(b[name][i])) { nonFinite++; continue; }
            maxAbs = Math.max(maxAbs, Math.abs(a[name][i] - b[name][i]));
            ref = Math.max(ref, Math.abs(a[name][i]));
          }
          out.signatures[sig] = { ran: true, maxAbsDiff: maxAbs, maxAbsRef: ref, nonFinite, wasmMs: t1 - t0, webgpuMs: t2 - t1 };
        } catch (e) {
          out.signatures[sig] = { ran: false, error: `${e.name}: ${String(e.message).slice(0, 300)}` };
        }
      }
      try {
        const want = await cpu.predictEntities(text, labels);
        const got = await gpu.predictEntities(text, labels);
        const k = (e) => `${e.start}:${e.end}:${e.label}`;
        out.entities = { wasm: want.length, webgpu: got.length, same: JSON.stringify(want.map(k)) === JSON.stringify(got.map(k)),
          maxScoreDiff: Math.max(0, ...got.map((e) => { const r = want.find((x) => k(x) === k(e)); return r ? Math.abs(r.score - e.score) : 0; })) };
      } catch (e) {
        out.entities = { error: `${e.name}: ${String(e.message).slice(0, 300)}` };
      }
      cpu.dispose();
      gpu.dispose();
      return out;
    }, [`/${relative(ROOT, ARTIFACTS)}/`, precision, JSPI]);
    console.log(precision, JSON.stringify(report.precisions[precision]));
  }
} catch (e) {
  report.error = String(e?.stack ?? e).slice(0, 1000);
  console.log(report.error);
} finally {
  await browser.close();
  server.close();
}
report.measured = new Date().toISOString();
writeFileSync(join(ROOT, "docs/web-webgpu.json"), `${JSON.stringify(report, null, 2)}\n`);
