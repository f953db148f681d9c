/**
 * Bundles `handler/` into `dist/handler/index.js`, the artefact the Lambda runs
 * (handler `index.handler`). Tree-shaken and minified so cold starts stay small.
 */

import { renameSync, rmSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { build, type Plugin } from "esbuild";

const finaldir = resolve(import.meta.dirname, "..", "dist", "handler");
// Build beside the old bundle and swap it in, so a test run loading it never sees a half-written folder.
const outdir = `${finaldir}.${process.pid}.tmp`;

/**
 * pdf.js (3 MB) is a file of its own, `pdf-engine.mjs`, imported by the bundle
 * on the first PDF only: a cold start for plain chats does not parse it.
 */
const pdfEngine: Plugin = {
  name: "pdf-engine-apart",
  setup(b) {
    b.onResolve({ filter: /\/pdf-engine\.js$/ }, () => ({
      path: "./pdf-engine.mjs",
      external: true,
    }));
  },
};

/** What both builds share: one minified, tree-shaken Node 20 bundle with a source map. */
const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  minify: true,
  treeShaking: true,
  sourcemap: true,
  sourcesContent: false,
  legalComments: "none",
  metafile: true,
} as const;

const result = await build({
  entryPoints: { index: resolve(import.meta.dirname, "..", "handler", "index.ts") },
  outdir,
  ...common,
  format: "cjs",
  // ESM builds first: the AWS SDK's ESM tree-shakes far better than its CJS.
  mainFields: ["module", "main"],
  // Node's own AbortController and fetch instead of grammY's polyfills (see the shims for why).
  alias: {
    "abort-controller": resolve(import.meta.dirname, "shims", "abort-controller.cjs"),
    "node-fetch": resolve(import.meta.dirname, "shims", "node-fetch.cjs"),
  },
  plugins: [pdfEngine],
  logLevel: "warning",
});

const engine = await build({
  entryPoints: {
    "pdf-engine": resolve(import.meta.dirname, "..", "handler", "app", "media", "pdf-engine.ts"),
  },
  outdir,
  outExtension: { ".js": ".mjs" },
  ...common,
  // pdf.js is ESM and reads import.meta.url; the engine stays ESM, imported from the CommonJS bundle.
  format: "esm",
  logLevel: "error",
});

// The repo is ESM; the bundle is CommonJS, so its folder says so (and Lambda ignores it).
writeFileSync(resolve(outdir, "package.json"), '{ "type": "commonjs" }\n');

rmSync(finaldir, { recursive: true, force: true });
renameSync(outdir, finaldir);

const bytes = Object.entries({ ...result.metafile.outputs, ...engine.metafile.outputs })
  .filter(([file]) => file.endsWith(".js") || file.endsWith(".mjs"))
  .reduce((sum, [, out]) => sum + out.bytes, 0);
console.log(`built dist/handler/index.js (${(bytes / 1024).toFixed(1)} KiB)`);
