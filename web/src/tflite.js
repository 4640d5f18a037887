// The precision a .tflite's tensors show, read from its flatbuffer before LiteRT.js sees it (a port of
// common/tflite.py weights_precision): fp32 has no int8 tensor; int8w has int8 weights read only by DEQUANTIZE;
// int8 has int8 weights read by compute ops. A file of another precision under this one's name (its sha256 in the
// manifest updated to match) has the same signatures and tensors, so only this tells it apart.

const INT8 = 9; // TensorType.INT8
const DEQUANTIZE = 6; // BuiltinOperator.DEQUANTIZE

class Table {
  constructor(dv, pos) {
    this.dv = dv;
    this.pos = pos;
    this.vt = pos - dv.getInt32(pos, true);
    this.vtSize = dv.getUint16(this.vt, true);
  }

  field(i) {
    const o = 4 + 2 * i;
    return o < this.vtSize ? this.dv.getUint16(this.vt + o, true) : 0;
  }

  scalar(i, kind, dflt) {
    const f = this.field(i);
    if (!f) return dflt;
    const p = this.pos + f;
    return kind === "u8" ? this.dv.getUint8(p) : kind === "i32" ? this.dv.getInt32(p, true) : this.dv.getUint32(p, true);
  }

  vector(i) {
    const f = this.field(i);
    if (!f) return null;
    const p = this.pos + f;
    const v = p + this.dv.getUint32(p, true);
    return { start: v + 4, length: this.dv.getUint32(v, true) };
  }

  tables(i) {
    const v = this.vector(i);
    if (!v) return [];
    return Array.from({ length: v.length }, (_, k) => {
      const e = v.start + 4 * k;
      return new Table(this.dv, e + this.dv.getUint32(e, true));
    });
  }

  ints(i) {
    const v = this.vector(i);
    if (!v) return [];
    return Array.from({ length: v.length }, (_, k) => this.dv.getInt32(v.start + 4 * k, true));
  }
}

/** "fp32", "int8" or "int8w" as the file's tensors say; throws on bytes that are not a TFLite flatbuffer. */
export function weightsPrecision(bytes) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8 || String.fromCharCode(...bytes.subarray(4, 8)) !== "TFL3") throw new Error("not a TFLite flatbuffer (no TFL3 identifier)");
  const model = new Table(dv, dv.getUint32(0, true));
  const codes = model.tables(1).map((c) => Math.max(c.scalar(0, "u8", 0), c.scalar(3, "i32", 0)));
  let hasInt8 = false;
  for (const g of model.tables(2)) {
    const int8 = new Set();
    g.tables(0).forEach((t, i) => {
      if (t.scalar(1, "u8", 0) === INT8) int8.add(i);
    });
    if (!int8.size) continue;
    hasInt8 = true;
    for (const op of g.tables(3)) {
      if (codes[op.scalar(0, "u32", 0)] === DEQUANTIZE) continue;
      if (op.ints(1).some((x) => int8.has(x))) return "int8";
    }
  }
  return hasInt8 ? "int8w" : "fp32";
}
