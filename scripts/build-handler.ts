/**
 * Bundles `handler/` into `dist/handler/index.js`, the artefact the Lambda runs
 * (handler `index.handler`). Tree-shaken and minified so cold starts stay small:
 * what only rare paths need is a file of its own beside it, loaded on first use
 * (see {@link LAZY_PARTS}). The Lambda asset zips the whole folder.
 */

import { renameSync, rmSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { type BuildOptions, build, type Metafile, type Plugin } from "esbuild";

const root = resolve(import.meta.dirname, "..");
const finaldir = resolve(root, "dist", "handler");
// Build beside the old bundle and swap it in, so a test run loading it never sees a half-written folder.
const outdir = `${finaldir}.${process.pid}.tmp`;
/** What the bundle is made of (read by the bundle tests); outside the folder Lambda gets. */
const metafilePath = resolve(root, "dist", "handler.meta.json");

/**
 * Code a cold start does not parse: each entry is imported with `import()` only
 * where it is first needed and built as a file of its own, `<name>.js`
 * (`.mjs` for ESM). Parsing and initialising code is what a cold start costs, so
 * constructing a client lazily is not enough: its code must not be in `index.js`.
 * `specifier` is what the code passes to `import()`; `entry` is what the file holds.
 */
const LAZY_PARTS = [
  // pdf.js (3 MB) on the first PDF; it is ESM and reads import.meta.url.
  {
    name: "pdf-engine",
    specifier: "./pdf-engine.js",
    entry: "handler/app/media/pdf-engine.ts",
    esm: true,
  },
  // The S3 client (with its XML, checksum and multi-region signing code) on the first archive or image.
  { name: "s3-archive", specifier: "./s3-archive.js", entry: "handler/adapters/s3-archive.ts" },
  // The Lambda client, for webhook mode's hand-off only.
  {
    name: "lambda-invoke",
    specifier: "./lambda-invoke.js",
    entry: "handler/adapters/lambda-invoke.ts",
  },
  // The SSM client, for a cold start whose settings name a parameter (a secret's …_PARAMETER).
  {
    name: "ssm-parameters",
    specifier: "./adapters/ssm-parameters.js",
    entry: "handler/adapters/ssm-parameters.ts",
  },
  // The SDK's default credential chain takes environment credentials (what Lambda
  // gives) first; its other links are already imported on demand by the SDK and
  // only run without them (profiles, SSO, web identity, containers, EC2).
  ...[
    "@aws-sdk/credential-provider-sso",
    "@aws-sdk/credential-provider-ini",
    "@aws-sdk/credential-provider-process",
    "@aws-sdk/credential-provider-web-identity",
    "@aws-sdk/credential-provider-http",
    "@smithy/credential-provider-imds",
  ].map((pkg) => ({
    name: `aws-${pkg.split("/")[1]}`,
    specifier: pkg,
    entry: pkg,
  })),
] as const;

const fileOf = (part: (typeof LAZY_PARTS)[number]): string =>
  `./${part.name}${"esm" in part ? ".mjs" : ".js"}`;

/** Turns each `import()` of a lazy part into an import of its file beside the bundle. */
const lazyParts: Plugin = {
  name: "lazy-parts",
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind !== "dynamic-import") return undefined;
      const part = LAZY_PARTS.find((p) => p.specifier === args.path);
      return part ? { path: fileOf(part), external: true } : undefined;
    });
  },
};

/** What every build shares: a minified, tree-shaken Node 20 bundle with a source map. */
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
  outdir,
  // ESM builds first: the AWS SDK's ESM tree-shakes far better than its CJS.
  mainFields: ["module", "main"],
  alias: {
    // Node's own AbortController and fetch instead of grammY's polyfills (see the shims for why).
    "abort-controller": resolve(import.meta.dirname, "shims", "abort-controller.cjs"),
    "node-fetch": resolve(import.meta.dirname, "shims", "node-fetch.cjs"),
    // grammY's API client without its bot framework (see the shim).
    grammy: resolve(import.meta.dirname, "shims", "grammy.cjs"),
    // ollama-js installs a fetch polyfill where there is none; Node ≥ 18 has one.
    "whatwg-fetch": resolve(import.meta.dirname, "shims", "whatwg-fetch.cjs"),
  },
  plugins: [lazyParts],
  logLevel: "warning",
} satisfies BuildOptions;

const entryOf = (entry: string): string =>
  entry.startsWith("handler/") ? resolve(root, entry) : entry;

const builds = await Promise.all([
  build({ ...common, entryPoints: { index: resolve(root, "handler", "index.ts") }, format: "cjs" }),
  ...LAZY_PARTS.map((part) =>
    build({
      ...common,
      entryPoints: { [part.name]: entryOf(part.entry) },
      ...("esm" in part
        ? { format: "esm", outExtension: { ".js": ".mjs" }, logLevel: "error" }
        : { format: "cjs" }),
    } as BuildOptions),
  ),
]);

// The repo is ESM; the bundle is CommonJS, so its folder says so (and Lambda ignores it).
writeFileSync(resolve(outdir, "package.json"), '{ "type": "commonjs" }\n');

rmSync(finaldir, { recursive: true, force: true });
renameSync(outdir, finaldir);

const outputs: Metafile["outputs"] = {};
for (const b of builds)
  for (const [file, out] of Object.entries(b.metafile?.outputs ?? {}))
    outputs[file.replace(/^.*\.tmp\//, "")] = out;
writeFileSync(metafilePath, JSON.stringify({ outputs }));
const kib = (file: string) => ((outputs[file]?.bytes ?? 0) / 1024).toFixed(1);
console.log(
  `built dist/handler/index.js (${kib("index.js")} KiB) and ${LAZY_PARTS.length} parts loaded on first use`,
);
