/**
 * Bundles `handler/` into `dist/handler/index.js`, the artefact the Lambda runs
 * (handler `index.handler`). Tree-shaken and minified so cold starts stay small.
 */

import { renameSync, rmSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { build } from "esbuild";

const finaldir = resolve(import.meta.dirname, "..", "dist", "handler");
// Build beside the old bundle and swap it in, so a test run loading it never sees a half-written folder.
const outdir = `${finaldir}.${process.pid}.tmp`;

const result = await build({
  entryPoints: { index: resolve(import.meta.dirname, "..", "handler", "index.ts") },
  outdir,
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  minify: true,
  treeShaking: true,
  sourcemap: true,
  sourcesContent: false,
  legalComments: "none",
  metafile: true,
  // ESM builds first: the AWS SDK's ESM tree-shakes far better than its CJS.
  mainFields: ["module", "main"],
  // Node's own AbortController and fetch instead of grammY's polyfills (see the shims for why).
  alias: {
    "abort-controller": resolve(import.meta.dirname, "shims", "abort-controller.cjs"),
    "node-fetch": resolve(import.meta.dirname, "shims", "node-fetch.cjs"),
  },
  logLevel: "warning",
});

// The repo is ESM; the bundle is CommonJS, so its folder says so (and Lambda ignores it).
writeFileSync(resolve(outdir, "package.json"), '{ "type": "commonjs" }\n');

rmSync(finaldir, { recursive: true, force: true });
renameSync(outdir, finaldir);

const bytes = Object.entries(result.metafile.outputs)
  .filter(([file]) => file.endsWith(".js"))
  .reduce((sum, [, out]) => sum + out.bytes, 0);
console.log(`built dist/handler/index.js (${(bytes / 1024).toFixed(1)} KiB)`);
