import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "@jest/globals";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { canonicalModelName } from "../../handler/domain/model-name.js";
import { FakeOllama } from "../harness/fake-ollama.js";
import { killIfRunning, npmRun, type TerminalBot, until } from "./terminal.js";

/** Debian's Chromium, which `.ci/run` installs (`apt-get install chromium`). */
const CHROMIUM = "/usr/bin/chromium";
/** How the env docs start it here: no sandbox (root), and no calls to Google's hosts. */
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
/** A 1×1 PNG. */
const PIXEL = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "base64",
);

/** A port nothing listens on: an OLLAMA_URL that does not answer. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The status of `GET /` with another Host header (a DNS-rebound name). */
function statusWithHost(url: string, host: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on("error", reject);
    req.end();
  });
}

/** Sends a message as the page does. */
async function sendMessage(url: string, text: string): Promise<void> {
  const res = await fetch(`${url}/api/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ text }),
  });
  expect(res.status).toBe(200);
}

/**
 * The bot's messages as the page gets them (a rich message as the text it
 * reads as), once one of them contains `wanted`; throws after a minute.
 */
async function botAnswerWith(url: string, wanted: string): Promise<string[]> {
  let texts: string[] = [];
  for (let n = 0; n < 1_200; n++) {
    const state = (await (await fetch(`${url}/api/state`)).json()) as {
      chat: { messages: { from: string; text: string }[] };
    };
    texts = state.chat.messages.filter((m) => m.from === "bot").map((m) => m.text);
    if (texts.some((t) => t.includes(wanted))) return texts;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no answer of the bot contains "${wanted}"; it sent: ${JSON.stringify(texts)}`);
}

/** `npm run demo` on a DATA_DIR (a fresh one) and any free port; resolves with its page's address. */
async function startDemo(
  env: Record<string, string>,
  dataDir = mkdtempSync(join(tmpdir(), "chatbot-demo-")),
): Promise<{ demo: TerminalBot; url: string; dataDir: string }> {
  const demo = npmRun("demo", { DATA_DIR: dataDir, DEMO_PORT: "0", ...env });
  const address = /Chat with the bot at (http:\/\/127\.0\.0\.1:\d+)/;
  await until(
    () => address.test(demo.output()) || demo.child.exitCode !== null,
    "the page",
    60_000,
  );
  const url = address.exec(demo.output())?.[1];
  if (!url) throw new Error(`npm run demo printed no address:\n${demo.output()}`);
  return { demo, url, dataDir };
}

describe("npm run demo: the bot without a token or Ollama, in a browser", () => {
  let running: { demo: TerminalBot; url: string; dataDir: string } | undefined;
  let browser: BrowserContext | undefined;
  let profile: string | undefined;

  afterEach(async () => {
    await browser?.close();
    browser = undefined;
    await killIfRunning(running?.demo);
    for (const dir of [running?.dataDir, profile]) {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
    running = undefined;
    profile = undefined;
  });

  async function openPage(url: string): Promise<Page> {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `${CHROMIUM} is missing: this test drives the demo in Debian's Chromium. Install it with "apt-get install -y chromium" (.ci/run does).`,
      );
    }
    profile = mkdtempSync(join(tmpdir(), "chatbot-demo-chromium-"));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: CHROMIUM_FLAGS,
    });
    const page = browser.pages()[0] ?? (await browser.newPage());
    await page.goto(url);
    return page;
  }

  it("a message, a streamed draft, Stop, a button, a photo and a file, then Ctrl-C", async () => {
    // Arrange: no Ollama anywhere, so the stand-in model answers.
    running = await startDemo({ OLLAMA_URL: `http://127.0.0.1:${await closedPort()}` });
    const { demo } = running;
    const page = await openPage(running.url);
    const errors: string[] = [];
    page.on("pageerror", (err) => errors.push(err.message));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    const bot = page.locator("#messages > li.bot");
    const draft = page.locator("#draft-text");
    const send = async (text: string) => {
      await page.getByLabel("Message").fill(text);
      await page.getByRole("button", { name: "Send", exact: true }).click();
    };

    // Act: ask for a long answer and watch its draft grow.
    const badge = page.locator("#stand-in-badge");
    await badge.waitFor();
    await send("tell me a long story");
    await draft.filter({ hasText: "Part 1 of 12" }).waitFor();
    const early = (await draft.textContent()) ?? "";
    const grown = async () => ((await draft.textContent()) ?? "").length > early.length;
    for (let n = 0; n < 200 && !(await grown()); n++) await page.waitForTimeout(50);
    await page.getByRole("button", { name: "⏹ Stop" }).click();
    const stopped = bot.filter({ hasText: "⏹ Stopped." });
    await stopped.waitFor();

    // Act: a rich answer: the stand-in reasons in the draft first, then answers with a table.
    await send("show me a table");
    const thinking = draft.locator(".thinking").filter({ hasText: "Stand-in reasoning" });
    await thinking.waitFor();
    // Frames come a second apart: this is still the thinking frame just found.
    const thought = await thinking.textContent();
    const rich = bot.filter({ has: page.locator("table") });
    await rich.waitFor();
    const cells = await rich
      .locator("tr")
      .evaluateAll((rows) =>
        rows.map((r) => [...r.children].map((c) => `${c.tagName} ${c.textContent}`)),
      );
    const boxes = await Promise.all(
      (await rich.getByRole("checkbox").all()).map((b) => b.isChecked()),
    );

    // Act: a button under a message: Cancel a model download.
    await send("/pull llava");
    await page.getByRole("button", { name: "✖️ Cancel" }).click();
    const toast = page.getByRole("status").filter({ hasText: "Cancelling" });
    await toast.waitFor();
    const toastText = await toast.textContent();
    await bot.filter({ hasText: "Download of llava cancelled" }).waitFor();

    // Act: a photo with a caption, then a text file.
    await page.getByLabel("Message").fill("what is on it?");
    await page
      .locator("#file")
      .setInputFiles({ name: "pixel.png", mimeType: "image/png", buffer: PIXEL });
    await bot.filter({ hasText: "I received a photo" }).waitFor();
    await page.locator("#file").setInputFiles({
      name: "notes.txt",
      mimeType: "text/plain",
      buffer: Buffer.from("The quick brown fox jumps over the lazy dog."),
    });
    const file = bot.filter({ hasText: "quick brown fox" });
    await file.waitFor();
    const photo = await page.locator("#messages > li.you img").getAttribute("alt");

    // Act: Ctrl-C.
    demo.signalGroup("SIGINT");
    const { code } = await demo.exited;

    // Assert
    expect(await badge.isVisible()).toBe(true);
    expect(early).toContain("Stand-in model");
    expect(await grown()).toBe(true);
    const stoppedText = (await stopped.textContent()) ?? "";
    expect(stoppedText).toContain("Part 1 of 12.");
    expect(stoppedText).not.toContain("Part 12 of 12.");
    expect(await page.locator("#draft").isHidden()).toBe(true);
    expect(thought).toContain("Stand-in reasoning, for show");
    expect(cells).toEqual([
      ["TH Markdown", "TH Shown as"],
      ["TD ## Title", "TD a heading"],
      ["TD a pipe table", "TD this table"],
      ["TD $a^2+b^2=c^2$", "TD a^2+b^2=c^2"],
    ]);
    expect(await rich.getByRole("heading", { name: "Rich formatting, for show" }).count()).toBe(1);
    expect(await rich.getByRole("math").allTextContents()).toEqual([
      "a^2+b^2=c^2",
      "\\sum_{k=1}^{n} k = \\frac{n(n+1)}{2}",
    ]);
    expect(await rich.getByText("Prices stay text: $5 and $10.").count()).toBe(1);
    expect(boxes).toEqual([true, false]);
    expect(await rich.locator('code[data-language="ts"]').textContent()).toBe(
      'const model = "stand-in";',
    );
    const reasoning = rich.locator("details");
    expect(await reasoning.locator("summary").textContent()).toBe("💭 Reasoning");
    expect(await reasoning.getAttribute("open")).toBeNull();
    expect(await reasoning.textContent()).toContain("Stand-in reasoning");
    // The model's text is drawn as text: the document tag the bot put in its prompt shows as written.
    expect(await file.textContent()).toContain('<document name="notes.txt">');
    expect(toastText).toBe("⏹ Cancelling the download…");
    expect(photo).toBe("Photo: what is on it?");
    expect(errors).toEqual([]);
    expect(code).toBe(0);
    const out = demo.output();
    expect(out).toContain('Model: the built-in stand-in "demo-stand-in"');
    // The stand-in's conversations are on its model, kept apart from a real Ollama's.
    expect(out).toContain(`embedded DynamoDB in ${join(running.dataDir, "stand-in")}`);
    expect(out).toContain("Stopped. The demo's conversations are kept in");
  }, 180_000);

  it("with RICH_MESSAGES=off, draws the HTML answer and its plain draft", async () => {
    // Arrange: the stand-in model, answers in Telegram HTML as before rich messages.
    running = await startDemo({
      OLLAMA_URL: `http://127.0.0.1:${await closedPort()}`,
      RICH_MESSAGES: "off",
    });
    const page = await openPage(running.url);
    const draft = page.locator("#draft-text");
    const answer = page.locator("#messages > li.bot").filter({ hasText: "Things to try" });

    // Act
    await page.getByLabel("Message").fill("hello");
    await page.getByRole("button", { name: "Send", exact: true }).click();
    await draft.filter({ hasText: "Stand-in model" }).waitFor();
    const draftBold = await draft.locator("strong").first().textContent();
    const draftRich = await draft.locator(".rich").count();
    await answer.waitFor();

    // Assert
    expect(draftBold).toBe("Stand-in model");
    expect(draftRich).toBe(0);
    expect(await answer.locator(".text strong").first().textContent()).toBe("Stand-in model");
    expect(await answer.locator(".text code").allTextContents()).toContain("/help");
    expect(await answer.locator(".rich").count()).toBe(0);
  }, 120_000);

  it("uses the Ollama at OLLAMA_URL when it answers, and serves only its own address", async () => {
    // Arrange: an Ollama with one model that is not the default.
    const ollama = await FakeOllama.start();
    ollama.setModels(["mistral"]);
    try {
      running = await startDemo({ OLLAMA_URL: ollama.url });
      const { url } = running;
      const post = (path: string, headers: Record<string, string> = {}) =>
        fetch(`${url}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json", ...headers },
          body: JSON.stringify({ text: "hi" }),
        });

      // Act
      const foreign = await post("/api/messages", { origin: "http://evil.example" });
      const rebound = await statusWithHost(url, "evil.example");
      const sent = await post("/api/messages");
      const answers = await botAnswerWith(url, "You said: hi");

      // Assert
      expect(foreign.status).toBe(403);
      expect(rebound).toBe(403);
      expect(sent.status).toBe(200);
      expect(answers.at(-1)).toBe("You said: hi");
      expect(ollama.chats().map((c) => canonicalModelName(c.body.model))).toEqual(["mistral"]);
      expect(running.demo.output()).toContain(`Model: Ollama at ${ollama.url} (mistral:latest)`);
      expect(running.demo.output()).not.toContain("built-in stand-in");
    } finally {
      await ollama.close();
    }
  }, 120_000);

  it("answers with the real Ollama after a run on the stand-in, on the same DATA_DIR", async () => {
    // Arrange: a first run that answers on the stand-in, then Ctrl-C, as its tip says.
    running = await startDemo({ OLLAMA_URL: `http://127.0.0.1:${await closedPort()}` });
    await sendMessage(running.url, "hello");
    await botAnswerWith(running.url, "Stand-in model");
    running.demo.signalGroup("SIGINT");
    const first = await running.demo.exited;
    const ollama = await FakeOllama.start();
    ollama.setModels(["mistral"]);
    try {
      // Act: the demo again, now with an Ollama that answers.
      running = await startDemo({ OLLAMA_URL: ollama.url }, running.dataDir);
      await sendMessage(running.url, "hi");
      // The whole answer: the owner greeting that comes first has "hi" in "this".
      const answers = await botAnswerWith(running.url, "You said: hi");

      // Assert
      expect(first.code).toBe(0);
      expect(answers.at(-1)).toBe("You said: hi");
      expect(answers.join("\n")).not.toContain("not installed");
      expect(ollama.chats().map((c) => canonicalModelName(c.body.model))).toEqual(["mistral"]);
    } finally {
      await ollama.close();
    }
  }, 120_000);

  it("picks up where it left off: a second run on the same DATA_DIR answers and remembers", async () => {
    // Arrange: a first run that answers one message, then Ctrl-C.
    const noOllama = { OLLAMA_URL: `http://127.0.0.1:${await closedPort()}` };
    running = await startDemo(noOllama);
    await sendMessage(running.url, "my name is Ada");
    await botAnswerWith(running.url, "my name is Ada");
    running.demo.signalGroup("SIGINT");
    const first = await running.demo.exited;

    // Act: a new stand-in Telegram, the same data.
    running = await startDemo(noOllama, running.dataDir);
    await sendMessage(running.url, "/history");
    const answers = await botAnswerWith(running.url, "Last 2 of 2 messages");

    // Assert
    expect(first.code).toBe(0);
    expect(answers).toHaveLength(1);
    expect(answers[0]).toContain("my name is Ada");
  }, 120_000);
});
