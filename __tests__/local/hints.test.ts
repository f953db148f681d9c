import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { OllamaServer } from "../../handler/domain/ollama-server.js";
import { checkOllama, configHints } from "../../local/hints.js";
import { FakeOllama } from "../harness/fake-ollama.js";

describe("start-up hints name the setting at fault", () => {
  let ollama: FakeOllama;
  beforeAll(async () => {
    ollama = await FakeOllama.start();
  });
  afterAll(() => ollama.close());

  it("says which models Ollama has when DEFAULT_MODEL is among them", async () => {
    // Prepare
    ollama.setModels(["llama3:latest", "phi3:mini"]);

    // Act
    const line = await checkOllama(OllamaServer.parse(ollama.url), "llama3");

    // Assess
    expect(line).toBe(`Ollama at ${ollama.url} has llama3:latest, phi3:mini`);
  });

  it("names DEFAULT_MODEL when Ollama has models but not that one", async () => {
    // Prepare
    ollama.setModels(["mistral:latest"]);

    // Act
    const line = await checkOllama(OllamaServer.parse(ollama.url), "llama3");

    // Assess
    expect(line).toBe(
      `⚠ Ollama at ${ollama.url} has mistral:latest, but not DEFAULT_MODEL llama3: run "ollama pull llama3", or set DEFAULT_MODEL to one of those.`,
    );
  });

  it("suggests pulling DEFAULT_MODEL when Ollama has no models", async () => {
    // Prepare
    ollama.setModels([]);

    // Act
    const line = await checkOllama(OllamaServer.parse(ollama.url), "mistral");

    // Assess
    expect(line).toBe(`⚠ Ollama at ${ollama.url} has no models yet: run "ollama pull mistral"`);
  });

  it("reaches an Ollama behind basic auth with the credentials of OLLAMA_URL, naming it without them", async () => {
    // Prepare: a second Ollama, behind a proxy that demands a password
    const guarded = await FakeOllama.start();
    guarded.requireBasicAuth("bot", "hunter2-and-more");
    const server = (password: string) =>
      OllamaServer.parse(guarded.url.replace("://", `://bot:${password}@`));

    // Act
    const line = await checkOllama(server("hunter2-and-more"), "llama3");
    const refused = await checkOllama(server("wrong-password"), "llama3");
    await guarded.close();

    // Assess
    expect(line).toBe(`Ollama at ${guarded.url} has llama3:latest, mistral:latest, phi3:latest`);
    expect(refused).toBe(
      `⚠ Ollama at ${guarded.url} (or the proxy in front of it) refused the credentials (HTTP 401): check the user and password in OLLAMA_URL. The bot will tell users until they are right.`,
    );
  });

  it("shows where a user and password go in the OLLAMA_URL hint, never what they are", () => {
    // Act
    const hints = configHints("Invalid configuration: OLLAMA_URL Invalid URL", {
      OLLAMA_URL: "bot:hunter2@ollama.example:11434",
    });

    // Assess
    expect(hints).toEqual([
      "OLLAMA_URL needs http:// in front: OLLAMA_URL=http://<user>:<password>@ollama.example:11434",
    ]);
  });

  it("gives the token hint only when the token is at fault", () => {
    // Act
    const token = configHints("Invalid configuration: TELEGRAM_BOT_TOKEN is required", {});
    const url = configHints("Invalid configuration: OLLAMA_URL Invalid URL", {
      OLLAMA_URL: "localhost:11434",
    });
    const scheme = configHints("Invalid configuration: OLLAMA_URL Invalid URL", {
      OLLAMA_URL: "ftp://localhost:11434",
    });

    // Assess
    expect(token).toHaveLength(1);
    expect(token[0]).toContain("@BotFather");
    expect(url).toEqual(["OLLAMA_URL needs http:// in front: OLLAMA_URL=http://localhost:11434"]);
    expect(scheme).toEqual([
      "OLLAMA_URL must be an http:// or https:// address of Ollama, e.g. OLLAMA_URL=http://127.0.0.1:11434",
    ]);
  });
});
