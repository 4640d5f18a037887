// sha256 of bytes, hex: crypto.subtle in a page (a secure context: https or localhost) and in Node.

export async function sha256Hex(bytes) {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) {
    throw new Error("crypto.subtle is not available: serve the page over https or from localhost, where browsers provide it");
  }
  const digest = new Uint8Array(await subtle.digest("SHA-256", bytes));
  let hex = "";
  for (const b of digest) hex += b.toString(16).padStart(2, "0");
  return hex;
}
