import { inspect } from "node:util";
import { describe, expect, it } from "@jest/globals";
import {
  OllamaServer,
  ServerUrlError,
  withoutUserInfo,
} from "../../handler/domain/ollama-server.js";

const basic = (credentials: string) => `Basic ${Buffer.from(credentials).toString("base64")}`;

describe("OllamaServer: credentials only in the request", () => {
  it("keeps the URL without user info as the public URL, and the credentials as an Authorization header", () => {
    // Act
    const server = OllamaServer.parse("https://bot:s3cret-pass@ollama.example.com:8443/ollama/");

    // Assess
    expect(server.url).toBe("https://ollama.example.com:8443/ollama");
    expect(server.headers()).toEqual({ Authorization: basic("bot:s3cret-pass") });
  });

  it("percent-decodes user and password as URLs do (what Node's http.request sends)", () => {
    // Act
    const server = OllamaServer.parse("http://b%C3%B6t:p%40ss%3Aw%2Fo%25rd@10.0.0.5:11434");

    // Assess
    expect(server.headers()).toEqual({ Authorization: basic("böt:p@ss:w/o%rd") });
    expect(server.secrets()).toEqual(
      expect.arrayContaining(["p%40ss%3Aw%2Fo%25rd", "p@ss:w/o%rd"]),
    );
  });

  it("sends a user without a password as `user:`, and nothing without user info", () => {
    expect(OllamaServer.parse("http://bot@ollama:11434").headers()).toEqual({
      Authorization: basic("bot:"),
    });
    const plain = OllamaServer.parse("http://127.0.0.1:11434");
    expect(plain.headers()).toEqual({});
    expect(plain.secrets()).toEqual([]);
    expect(plain.url).toBe("http://127.0.0.1:11434");
  });

  it("refuses a malformed %-escape without repeating the URL", () => {
    // Act
    const parse = () => OllamaServer.parse("http://bot:50%off@ollama:11434");

    // Assess
    expect(parse).toThrow(ServerUrlError);
    expect(parse).toThrow(/% not followed by two hex digits/);
    expect(parse).not.toThrow(/50%off/);
  });

  it("prints as its public URL however it is printed", () => {
    // Arrange
    const server = OllamaServer.parse("http://bot:s3cret-pass@ollama:11434");

    // Act
    const printed = [
      String(server),
      `${server}`,
      JSON.stringify({ server }),
      inspect(server, { showHidden: true, depth: 5 }),
      inspect({ nested: { server } }),
      Object.values(server).join(" "),
    ];

    // Assess
    for (const text of printed) expect(text).not.toMatch(/s3cret|Ym90O/);
    expect(printed[2]).toBe('{"server":"http://ollama:11434"}');
  });
});

describe("withoutUserInfo: a recorded endpoint never carries a password", () => {
  it("drops user info from a URL that has it and leaves anything else as it is", () => {
    expect(withoutUserInfo("http://bot:pw@ollama:11434/")).toBe("http://ollama:11434");
    expect(withoutUserInfo("http://ollama:11434")).toBe("http://ollama:11434");
    expect(withoutUserInfo("not a url")).toBe("not a url");
    expect(withoutUserInfo("")).toBe("");
  });
});
