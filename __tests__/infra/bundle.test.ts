import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "@jest/globals";
import { Testing } from "cdktf";
import { ChatbotStack } from "../../src/chatbot-stack.js";
import { DEFAULT_SETTINGS } from "../../src/settings.js";
import { TEST_WEBHOOK_SECRET } from "./synth.js";

/** The folder `npm run build` writes and the Lambda asset zips. */
const BUNDLE_DIR = resolve(import.meta.dirname, "..", "..", "dist", "handler");
/** What esbuild says each output file is made of (written by `npm run build`). */
const META = resolve(BUNDLE_DIR, "..", "handler.meta.json");

interface Meta {
  outputs: Record<string, { bytes: number; inputs: Record<string, { bytesInOutput: number }> }>;
}

const meta = JSON.parse(readFileSync(META, "utf8")) as Meta;

/** The packages an `index.js` input path belongs to (`node_modules/<pkg>/…`), or its own path. */
function inputsOf(file: string): string[] {
  return Object.keys(meta.outputs[file]?.inputs ?? {});
}

/** Every file `file` loads with `import("./…")`, and what those load in turn. */
function lazyFilesFrom(file: string, seen = new Set<string>()): Set<string> {
  const code = readFileSync(join(BUNDLE_DIR, file), "utf8");
  for (const m of code.matchAll(/import\("\.\/([^"]+)"\)/g)) {
    const next = m[1] ?? "";
    if (seen.has(next)) continue;
    seen.add(next);
    if (existsSync(join(BUNDLE_DIR, next))) lazyFilesFrom(next, seen);
  }
  return seen;
}

/** The file names in a zip archive, read from its central directory. */
function zipEntries(zip: Buffer): string[] {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = zip.readUInt16LE(end + 10);
  const names: string[] = [];
  for (let i = 0, at = zip.readUInt32LE(end + 16); i < count; i++) {
    const nameLength = zip.readUInt16LE(at + 28);
    const rest = nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    names.push(zip.toString("utf8", at + 46, at + 46 + nameLength));
    at += 46 + rest;
  }
  return names;
}

/** The function's asset as `cdktf synth` writes it. */
function synthesizedAsset(): string[] {
  const stack = new ChatbotStack(Testing.app(), "chatbot", {
    settings: { ...DEFAULT_SETTINGS, webhookSecret: TEST_WEBHOOK_SECRET },
    bundleDir: BUNDLE_DIR,
  });
  const outdir = Testing.fullSynth(stack);
  const find = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory()
        ? find(join(dir, e.name))
        : e.name === "archive.zip"
          ? [join(dir, e.name)]
          : [],
    );
  const [zip, ...others] = find(outdir);
  if (!zip || others.length > 0) throw new Error(`expected one asset archive in ${outdir}`);
  return zipEntries(readFileSync(zip));
}

describe("handler bundle", () => {
  it("leaves out of the cold-start file what only rare paths run (S3, the Lambda and SSM clients, other credential sources, PDFs)", () => {
    // Prepare: the parts loaded on first use, and code no path of the bot runs.
    const elsewhere = [
      "node_modules/@aws-sdk/client-s3/",
      "node_modules/@aws-sdk/client-lambda/",
      "node_modules/@aws-sdk/client-ssm/",
      "node_modules/@aws-sdk/credential-provider-sso/",
      "node_modules/@aws-sdk/credential-provider-ini/",
      "node_modules/@aws-sdk/credential-provider-process/",
      "node_modules/@aws-sdk/credential-provider-web-identity/",
      "node_modules/@aws-sdk/credential-provider-http/",
      "node_modules/@smithy/credential-provider-imds/",
      "node_modules/pdfjs-dist/",
      // grammY's bot framework (the bot uses its API client only) and ollama-js's fetch polyfill.
      "node_modules/grammy/out/context.js",
      "node_modules/grammy/out/bot.js",
      "node_modules/whatwg-fetch/",
    ];

    // Act
    const inputs = inputsOf("index.js");

    // Assess
    expect(inputs.filter((i) => elsewhere.some((e) => i.includes(e)))).toEqual([]);
    expect(inputs.some((i) => i.includes("node_modules/@aws-sdk/client-dynamodb/"))).toBe(true);
    expect(inputsOf("s3-archive.js").some((i) => i.includes("@aws-sdk/client-s3/"))).toBe(true);
    expect(inputsOf("lambda-invoke.js").some((i) => i.includes("@aws-sdk/client-lambda/"))).toBe(
      true,
    );
    expect(inputsOf("ssm-parameters.js").some((i) => i.includes("@aws-sdk/client-ssm/"))).toBe(
      true,
    );
  });

  it("keeps every file it loads on first use beside it", () => {
    // Act
    const lazy = [...lazyFilesFrom("index.js")];

    // Assess
    expect(lazy).toEqual(
      expect.arrayContaining([
        "s3-archive.js",
        "lambda-invoke.js",
        "ssm-parameters.js",
        "pdf-engine.mjs",
      ]),
    );
    expect(lazy.filter((f) => !existsSync(join(BUNDLE_DIR, f)))).toEqual([]);
  });

  it("ships every lazily loaded file in the Lambda asset", () => {
    // Act
    const entries = synthesizedAsset();

    // Assess
    expect(entries).toEqual(expect.arrayContaining(["index.js", ...lazyFilesFrom("index.js")]));
  });
});
