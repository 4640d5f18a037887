// Headless Chromium (Debian's /usr/bin/chromium, or $CHROMIUM) through playwright-core, with a fresh profile and
// nothing that reaches the network on its own.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
export const ARGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync",
];

/** { browser, page, close } with a fresh --user-data-dir; `extraArgs` e.g. for WebGPU. */
export async function launch(extraArgs = [], { gpu = false } = {}) {
  const profile = mkdtempSync(join(tmpdir(), "gliner-web-"));
  const args = (gpu ? ARGS.filter((a) => a !== "--disable-gpu") : ARGS).concat(extraArgs);
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args });
  const page = context.pages()[0] ?? await context.newPage();
  page.on("pageerror", (e) => console.log(`page error: ${e.message}`));
  const browser = {
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
  return { browser, page, context, profile };
}
