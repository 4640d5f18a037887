// A static server for the repository with the headers wasm threads need (Cross-Origin-Opener-Policy and
// Cross-Origin-Embedder-Policy: the page is cross-origin isolated, SharedArrayBuffer exists). `make web` runs it.
//   node web/serve.mjs [--root DIR] [--port 8321] [--host 127.0.0.1]
import { createReadStream, statSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json; charset=utf-8", ".wasm": "application/wasm", ".css": "text/css; charset=utf-8",
  ".png": "image/png", ".txt": "text/plain; charset=utf-8", ".md": "text/markdown; charset=utf-8", ".map": "application/json",
};

export function serve({ root, port = 8321, host = "127.0.0.1", isolate = true } = {}) {
  const base = resolve(root);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    const file = normalize(join(base, path));
    if (file !== base && !file.startsWith(base + sep)) {
      res.writeHead(403).end("outside the served folder");
      return;
    }
    let target = file;
    let st;
    try {
      st = statSync(target);
      if (st.isDirectory()) {
        target = join(target, "index.html");
        st = statSync(target);
      }
    } catch {
      res.writeHead(404, { "Content-Type": "text/plain" }).end(`not found: ${path}`);
      return;
    }
    const headers = {
      "Content-Type": TYPES[extname(target)] ?? "application/octet-stream",
      "Content-Length": st.size,
      "Cache-Control": "no-store",
    };
    if (isolate) {
      headers["Cross-Origin-Opener-Policy"] = "same-origin";
      headers["Cross-Origin-Embedder-Policy"] = "require-corp";
      headers["Cross-Origin-Resource-Policy"] = "same-origin";
    }
    res.writeHead(200, headers);
    if (req.method === "HEAD") res.end();
    else createReadStream(target).pipe(res);
  });
  return new Promise((ok) => server.listen(port, host, () => ok(server)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name, dflt) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : dflt;
  };
  const root = arg("root", fileURLToPath(new URL("..", import.meta.url)));
  const port = Number(arg("port", 8321));
  const host = arg("host", "127.0.0.1");
  const server = await serve({ root, port, host, isolate: !process.argv.includes("--no-isolation") });
  const { port: p } = server.address();
  console.log(`serving ${root} with COOP/COEP at http://${host}:${p}/`);
  console.log(`demo page: http://${host}:${p}/web/demo/?model=/build/tiny-trained-web/`);
}
