// One .tflite in LiteRT.js: the runtime loaded once per page (threads when the page is cross-origin isolated),
// the verified bytes compiled, each signature run with named int32/float32 tensors.

import { Tensor, loadAndCompile, loadLiteRt } from "@litertjs/core";
import { ArtifactError, EngineError } from "./errors.js";

let loading = null;
let loadedWith = null;

/** The directory of LiteRT.js's .wasm files: node_modules/@litertjs/core/wasm/ beside this package. */
export const DEFAULT_WASM_URL = new URL("../node_modules/@litertjs/core/wasm/", import.meta.url).href;

/** Load LiteRT.js once per page; `threads` only where SharedArrayBuffer exists (a cross-origin-isolated page). */
export function ensureLiteRt(wasmUrl = DEFAULT_WASM_URL, threads = undefined, jspi = false) {
  const can = Boolean(globalThis.crossOriginIsolated) && typeof SharedArrayBuffer !== "undefined";
  const use = threads === undefined ? can : Boolean(threads) && can;
  if (!loading) {
    // JSPI (JavaScript promise integration): the build WebGPU needs where a graph falls back to the CPU.
    loadedWith = { wasmUrl, threads: use && !jspi, jspi: Boolean(jspi) };
    loading = loadLiteRt(wasmUrl, jspi ? { jspi: true } : { threads: use });
  }
  return loading.then(() => loadedWith);
}

export class Engine {
  constructor(model, accelerator, file) {
    this.model = model;
    this.accelerator = accelerator;
    this.file = file;
    this._queue = Promise.resolve();
  }

  /** Compile verified bytes on `accelerator` ("wasm" or "webgpu"). */
  static async create(bytes, accelerator, file) {
    let model;
    try {
      model = await loadAndCompile(bytes, { accelerator });
    } catch (e) {
      throw new ArtifactError(`${file}: LiteRT.js could not load it on ${accelerator} (${e?.message ?? e})`);
    }
    return new Engine(model, accelerator, file);
  }

  /** Whether LiteRT.js runs every op of the model on its accelerator. */
  get fullyAccelerated() {
    return this.model.isFullyAccelerated;
  }

  get signatures() {
    return Object.keys(this.model.signatures);
  }

  /** The signature's inputs and outputs as LiteRT.js reports them: [{name, shape, dtype}]. */
  io(signature) {
    const s = this.model.signatures[signature];
    const rows = (ds) => ds.map((d) => ({ name: d.name, shape: Array.from(d.shape), dtype: String(d.dtype) }));
    return { inputs: rows(s.getInputDetails()), outputs: rows(s.getOutputDetails()) };
  }

  /**
   * One call: inputs {name: [typedArray, shape]} -> outputs {name: Float32Array}. Calls are serialized (one model
   * holds its buffers from the inputs to the outputs), whoever awaits them.
   */
  run(signature, inputs) {
    const job = this._queue.then(() => this._run(signature, inputs));
    this._queue = job.catch(() => {});
    return job;
  }

  async _run(signature, inputs) {
    const tensors = {};
    try {
      for (const [name, [data, shape]] of Object.entries(inputs)) tensors[name] = new Tensor(data, shape);
      let out;
      try {
        out = await this.model.run(signature, tensors);
      } catch (e) {
        throw new EngineError(
          `LiteRT.js failed running ${signature} of ${this.file} on ${this.accelerator} (${e?.name ?? "Error"}: ${String(e?.message ?? e).split("\n")[0]}). ` +
            "In a page this is most often the wasm heap (2 GiB at most, the model's weights included) exhausted by a large bucket's " +
            "activations: use the int8 bundle, or load with { maxSeqLen: 256 } (longer texts then run as windows of that bucket). " +
            "The model may be unusable now: load it again",
        );
      }
      const result = {};
      for (const [name, t] of Object.entries(out)) {
        const cpu = t.accelerator === "wasm" ? t : await t.moveTo("wasm");
        result[name] = new Float32Array(cpu.toTypedArray());
        cpu.delete();
        if (cpu !== t && !t.deleted) t.delete();
      }
      return result;
    } finally {
      for (const t of Object.values(tensors)) if (!t.deleted) t.delete();
    }
  }

  delete() {
    this.model.delete();
  }
}
