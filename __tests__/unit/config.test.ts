import { describe, expect, it } from "@jest/globals";
import { loadConfig } from "../../handler/config.js";
import { OllamaServer } from "../../handler/domain/ollama-server.js";
import { ConfigError } from "../../handler/errors.js";

const TOKEN = "123456789:ABCdefGHIjklMNOpqrSTUvwxYZ_-0123";

/** Runs loadConfig expecting a ConfigError; returns its message. */
function configError(env: Record<string, string | undefined>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
  throw new Error("expected loadConfig to throw");
}

describe("config loadConfig", () => {
  it("applies every default when only the token is set", () => {
    // Act
    const config = loadConfig({ TELEGRAM_BOT_TOKEN: TOKEN });

    // Assess
    expect(config).toEqual({
      telegram: { token: TOKEN, apiUrl: "https://api.telegram.org", webhookSecret: "" },
      ollama: {
        servers: [OllamaServer.parse("http://host.docker.internal:11434")],
        parallel: 1,
        numCtx: 8192,
        numPredict: 2048,
        ceilings: { num_ctx: 16_384, num_predict: 8_192 },
        keepAlive: "5m",
        stallMs: 60_000,
      },
      defaultModel: "llama3",
      table: "ChatbotSessions",
      bucket: "chatbot-conversations",
      sessions: {
        idleMs: 60 * 60_000,
        archiveAfterMessages: 40,
        archiveAfterBytes: 64 * 1024,
        contextMessages: 20,
        closedRetentionSeconds: 365 * 86_400,
      },
      chat: {
        streamMode: "draft",
        showStats: false,
        showThinking: "collapsed",
        richMessages: true,
      },
      media: {
        imageMaxBytes: 5 * 1024 * 1024,
        documentMaxBytes: 10 * 1024 * 1024,
        documentMaxChars: 12_000,
      },
      voice: { transcribeUrl: "", model: "whisper-1", apiKey: "", maxSeconds: 300 },
      maxConcurrency: 4,
      maxUpdateAttempts: 3,
      access: { kind: "owner" },
      adminUserIds: new Set<number>(),
      limits: { messages: 0, tokens: 0 },
      logLevel: "info",
      secrets: [TOKEN, "", ""],
    });
  });

  it("reads the speech server's settings; a URL loses its trailing slash, credentials in it are refused", () => {
    // Act
    const config = loadConfig({
      TELEGRAM_BOT_TOKEN: TOKEN,
      TRANSCRIBE_URL: "http://127.0.0.1:8000/v1/",
      TRANSCRIBE_MODEL: "Systran/faster-whisper-small",
      TRANSCRIBE_API_KEY: "sk-test-0123456789",
      VOICE_MAX_SECONDS: "90",
    });

    // Assess
    expect(config.voice).toEqual({
      transcribeUrl: "http://127.0.0.1:8000/v1",
      model: "Systran/faster-whisper-small",
      apiKey: "sk-test-0123456789",
      maxSeconds: 90,
    });
    expect(
      configError({ TELEGRAM_BOT_TOKEN: TOKEN, TRANSCRIBE_URL: "http://me:pw@stt.example/v1" }),
    ).toContain(
      'TRANSCRIBE_URL ("http://<user>:<password>@stt.example/v1") must not hold credentials: put the key in TRANSCRIBE_API_KEY',
    );
    expect(configError({ TELEGRAM_BOT_TOKEN: TOKEN, TRANSCRIBE_URL: "stt.example" })).toContain(
      'TRANSCRIBE_URL ("stt.example") must be an http(s) URL',
    );
    expect(configError({ TELEGRAM_BOT_TOKEN: TOKEN, VOICE_MAX_SECONDS: "0" })).toContain(
      "VOICE_MAX_SECONDS",
    );
  });

  it("lists every sensitive setting's value as a secret for the logger to redact (the transcription key too)", () => {
    // Act
    const config = loadConfig({
      TELEGRAM_BOT_TOKEN: TOKEN,
      TELEGRAM_WEBHOOK_SECRET: "webhook_secret-1",
      TRANSCRIBE_API_KEY: "sk-test-0123456789",
    });

    // Assess
    expect(config.secrets).toEqual([TOKEN, "webhook_secret-1", "sk-test-0123456789"]);
  });

  it("parses DAILY_MESSAGE_LIMIT and DAILY_TOKEN_LIMIT (empty: no limit) and refuses negatives", () => {
    expect(
      loadConfig({ TELEGRAM_BOT_TOKEN: TOKEN, DAILY_MESSAGE_LIMIT: "50", DAILY_TOKEN_LIMIT: "" })
        .limits,
    ).toEqual({ messages: 50, tokens: 0 });
    expect(configError({ TELEGRAM_BOT_TOKEN: TOKEN, DAILY_TOKEN_LIMIT: "-1" })).toContain(
      "DAILY_TOKEN_LIMIT",
    );
  });

  it("requires TELEGRAM_BOT_TOKEN and says where to get it", () => {
    // Act
    const message = configError({});

    // Assess
    expect(message).toContain("TELEGRAM_BOT_TOKEN is required");
    expect(message).toContain("@BotFather");
  });

  it("rejects a token that does not look like a bot token", () => {
    expect(configError({ TELEGRAM_BOT_TOKEN: "not-a-token" })).toContain(
      "TELEGRAM_BOT_TOKEN does not look like a bot token",
    );
  });

  it.each([
    ["OLLAMA_NUM_CTX", "abc"],
    ["OLLAMA_NUM_CTX", "100"],
    ["MAX_CONCURRENCY", "1.5"],
    ["SESSION_IDLE_MINUTES", "-1"],
    ["SESSION_IDLE_MINUTES", "0"],
    ["STREAM_REPLIES", "maybe"],
    ["STREAM_MODE", "fast"],
    ["SHOW_THINKING", "expanded"],
    ["RICH_MESSAGES", "on"],
    ["OLLAMA_URL", "ftp://example.com"],
    ["TELEGRAM_API_URL", "not a url"],
    ["DEFAULT_MODEL", "-bad name"],
    ["TELEGRAM_WEBHOOK_SECRET", "has spaces!"],
    ["LOG_LEVEL", "verbose"],
    ["ARCHIVE_AFTER_KB", "301"],
    ["OLLAMA_PARALLEL", "0"],
  ])("names %s when its value %j is malformed", (variable, value) => {
    // Act
    const message = configError({ TELEGRAM_BOT_TOKEN: TOKEN, [variable]: value });

    // Assess
    expect(message).toMatch(new RegExp(`^Invalid configuration: ${variable}\\b`));
  });

  it.each([
    ["MAX_CONCURRENCY", "ten", 'MAX_CONCURRENCY ("ten") must be a whole number from 1 to 64'],
    ["MAX_CONCURRENCY", "1.5", 'MAX_CONCURRENCY ("1.5") must be a whole number from 1 to 64'],
    [
      "ALLOWED_USER_IDS",
      "12,abc,def",
      'ALLOWED_USER_IDS ("12,abc,def") must be a comma-separated list of numeric Telegram user ids, or * for everyone',
    ],
    [
      "SESSION_IDLE_MINUTES",
      "0",
      'SESSION_IDLE_MINUTES ("0") must be a number of minutes above 0 (0.5 is half a minute)',
    ],
    ["LOG_LEVEL", "verbose", 'LOG_LEVEL ("verbose") must be one of debug, info, warn, error'],
    [
      "STREAM_REPLIES",
      "maybe",
      'STREAM_REPLIES ("maybe") must be true or false (or yes/no, on/off, 1/0)',
    ],
    [
      "TELEGRAM_API_URL",
      "https://bot.example.com/#x",
      'TELEGRAM_API_URL ("https://bot.example.com/#x") must be a base URL, without ?query or #fragment',
    ],
    [
      "TELEGRAM_API_URL",
      "api.telegram.org",
      'TELEGRAM_API_URL ("api.telegram.org") must be an http:// or https:// URL',
    ],
  ])(
    "refuses %s=%j: the setting, the value given and the rule, as one",
    (variable, value, problem) => {
      // Act
      const message = configError({ TELEGRAM_BOT_TOKEN: TOKEN, [variable]: value });

      // Assess
      expect(message).toBe(`Invalid configuration: ${problem}`);
    },
  );

  it.each([
    ["TRANSCRIBE_URL", "http://127.0.0.1:8000/v1  TRANSCRIBE_MODEL=Systran/faster-whisper-small"],
    ["TELEGRAM_API_URL", "https://api.telegram.org LOG_LEVEL=debug"],
    ["OLLAMA_URL", "http://127.0.0.1:11434/ DEFAULT_MODEL=mistral"],
    ["OLLAMA_URL", "http://gpu1:11434,http://gpu2:11434\tx"],
  ])("refuses whitespace inside %s (two settings pasted on one line): %j", (variable, value) => {
    // Act
    const message = configError({ TELEGRAM_BOT_TOKEN: TOKEN, [variable]: value });

    // Assess
    expect(message).toMatch(new RegExp(`^Invalid configuration: ${variable} `));
    expect(message).toContain("must not contain spaces: put each setting on a line of its own");
    expect(message).not.toContain("must be an http");
  });

  it("never shows a secret as the value given: not a sensitive setting's, nor one pasted into another", () => {
    // Act
    const secret = configError({
      TELEGRAM_BOT_TOKEN: TOKEN,
      TELEGRAM_WEBHOOK_SECRET: "has spaces!",
    });
    const pasted = configError({
      TELEGRAM_BOT_TOKEN: TOKEN,
      TELEGRAM_API_URL: `https://api.telegram.org/bot${TOKEN}?x=1`,
    });

    // Assess
    expect(secret).toBe(
      "Invalid configuration: TELEGRAM_WEBHOOK_SECRET may only contain A-Z, a-z, 0-9, _ and - (Telegram's rule)",
    );
    expect(pasted).toBe(
      'Invalid configuration: TELEGRAM_API_URL ("https://api.telegram.org/bot[REDACTED]?x=1") must be a base URL, without ?query or #fragment',
    );
  });

  it.each([
    [
      "OLLAMA_URL",
      "http://ollama:11434/?model=x",
      "must be a base URL, without ?query or #fragment",
    ],
    ["OLLAMA_URL", "ftp://bot:hunter2@ollama", "must be an http:// or https:// URL"],
    ["OLLAMA_URL", "http://bot:50%off@ollama:11434", "% not followed by two hex digits"],
  ])("refuses %s=%s, saying why and without repeating the value", (variable, value, why) => {
    // Act
    const message = configError({ TELEGRAM_BOT_TOKEN: TOKEN, [variable]: value });

    // Assess
    expect(message).toContain(`${variable} `);
    expect(message).toContain(why);
    expect(message).not.toContain(value);
  });

  it("reads OLLAMA_URL's user and password into the request header, leaving the public URL", () => {
    // Act
    const [server] = loadConfig({
      TELEGRAM_BOT_TOKEN: TOKEN,
      OLLAMA_URL: "https://bot:pa%24%24word@ollama.example.com/",
    }).ollama.servers;

    // Assess
    expect(server?.url).toBe("https://ollama.example.com");
    expect(server?.headers()).toEqual({
      Authorization: `Basic ${Buffer.from("bot:pa$$word").toString("base64")}`,
    });
  });

  it("reads several Ollama servers in OLLAMA_URL's order, each with its own credentials, and every password as a secret", () => {
    // Act
    const config = loadConfig({
      TELEGRAM_BOT_TOKEN: TOKEN,
      OLLAMA_URL:
        " http://gpu1:11434/ , https://bot:first%2Cpass@gpu2.example.com,http://ops:second@10.0.0.9:11434 ",
      OLLAMA_PARALLEL: "2",
    });

    // Assess
    const { servers, parallel } = config.ollama;
    expect(servers.map((s) => s.url)).toEqual([
      "http://gpu1:11434",
      "https://gpu2.example.com",
      "http://10.0.0.9:11434",
    ]);
    expect(servers.map((s) => s.label)).toEqual([
      "gpu1:11434",
      "gpu2.example.com",
      "10.0.0.9:11434",
    ]);
    expect(servers.map((s) => s.headers().Authorization)).toEqual([
      undefined,
      `Basic ${Buffer.from("bot:first,pass").toString("base64")}`,
      `Basic ${Buffer.from("ops:second").toString("base64")}`,
    ]);
    expect(parallel).toBe(2);
    expect(config.secrets).toEqual(
      expect.arrayContaining(["first%2Cpass", "first,pass", "second"]),
    );
  });

  it.each([
    ["http://gpu1:11434,ftp://bot:hunter2@gpu2", "OLLAMA_URL server 2: ", "hunter2"],
    ["http://gpu1:11434,http://bot:50%off@gpu2", "% not followed by two hex digits", "50%off"],
    ["http://gpu1:11434, http://gpu1:11434/", "server 2: is server 1 again", "gpu1"],
    [" , ", "OLLAMA_URL lists no server", ","],
  ])(
    "refuses OLLAMA_URL=%j, naming the server by its place and never its URL",
    (value, why, secret) => {
      // Act
      const message = configError({ TELEGRAM_BOT_TOKEN: TOKEN, OLLAMA_URL: value });

      // Assess
      expect(message).toContain(why);
      expect(message.replace(why, "")).not.toContain(secret);
    },
  );

  it("refuses defaults above the admin's ceilings at start, naming both settings", () => {
    // Act
    const message = configError({
      TELEGRAM_BOT_TOKEN: TOKEN,
      OLLAMA_NUM_CTX: "32768",
      OLLAMA_NUM_PREDICT: "4096",
      OLLAMA_MAX_NUM_PREDICT: "1024",
    });

    // Assess
    expect(message).toBe(
      "Invalid configuration: OLLAMA_NUM_CTX (32768) is above OLLAMA_MAX_NUM_CTX (16384), the largest num_ctx anyone may set: lower OLLAMA_NUM_CTX or raise OLLAMA_MAX_NUM_CTX; " +
        "OLLAMA_NUM_PREDICT (4096) is above OLLAMA_MAX_NUM_PREDICT (1024), the largest num_predict anyone may set: lower OLLAMA_NUM_PREDICT or raise OLLAMA_MAX_NUM_PREDICT",
    );
  });

  it("accepts a default equal to its ceiling, and a ceiling raised with the default", () => {
    // Act
    const { ceilings, numCtx } = loadConfig({
      TELEGRAM_BOT_TOKEN: TOKEN,
      OLLAMA_NUM_CTX: "65536",
      OLLAMA_MAX_NUM_CTX: "65536",
      OLLAMA_MAX_NUM_PREDICT: "2048",
    }).ollama;

    // Assess
    expect({ numCtx, ceilings }).toEqual({
      numCtx: 65_536,
      ceilings: { num_ctx: 65_536, num_predict: 2_048 },
    });
  });

  it("reports every malformed variable at once", () => {
    // Act
    const message = configError({ OLLAMA_NUM_CTX: "x", SHOW_STATS: "perhaps" });

    // Assess
    expect(message).toContain("TELEGRAM_BOT_TOKEN");
    expect(message).toContain("OLLAMA_NUM_CTX");
    expect(message).toContain("SHOW_STATS");
  });

  it("lists one problem per variable, each after its name, separated by semicolons", () => {
    // Act
    const message = configError({
      TELEGRAM_BOT_TOKEN: TOKEN,
      OLLAMA_NUM_CTX: "x",
      SHOW_STATS: "perhaps",
    });

    // Assess
    expect(message).toMatch(/^Invalid configuration: OLLAMA_NUM_CTX [^;]+; SHOW_STATS [^;]+$/);
  });

  it("accepts fractional SESSION_IDLE_MINUTES, rounded to whole milliseconds", () => {
    // Act
    const half = loadConfig({ TELEGRAM_BOT_TOKEN: TOKEN, SESSION_IDLE_MINUTES: "0.5" });
    const odd = loadConfig({ TELEGRAM_BOT_TOKEN: TOKEN, SESSION_IDLE_MINUTES: "0.00001" });

    // Assess
    expect(half.sessions.idleMs).toBe(30_000);
    expect(odd.sessions.idleMs).toBe(1);
  });

  it("parses ALLOWED_USER_IDS as a list of numbers in order, tolerating spaces and empty items", () => {
    // Act
    const config = loadConfig({ TELEGRAM_BOT_TOKEN: TOKEN, ALLOWED_USER_IDS: " 22, 1 ,,333, 1 " });

    // Assess: the first id is the default admin, so the order is kept
    expect(config.access).toEqual({ kind: "list", ids: [22, 1, 333] });
  });

  it("is closed by default: an unset or empty ALLOWED_USER_IDS means the first user claims the bot", () => {
    expect(loadConfig({ TELEGRAM_BOT_TOKEN: TOKEN }).access).toEqual({ kind: "owner" });
    expect(loadConfig({ TELEGRAM_BOT_TOKEN: TOKEN, ALLOWED_USER_IDS: " " }).access).toEqual({
      kind: "owner",
    });
  });

  it("opens to everyone only with ALLOWED_USER_IDS=*", () => {
    expect(loadConfig({ TELEGRAM_BOT_TOKEN: TOKEN, ALLOWED_USER_IDS: "*" }).access).toEqual({
      kind: "everyone",
    });
  });

  it("parses ADMIN_USER_IDS as a set of numbers (empty: the default admin)", () => {
    expect([
      ...loadConfig({ TELEGRAM_BOT_TOKEN: TOKEN, ADMIN_USER_IDS: "5, 6" }).adminUserIds,
    ]).toEqual([5, 6]);
    expect(loadConfig({ TELEGRAM_BOT_TOKEN: TOKEN }).adminUserIds.size).toBe(0);
    expect(configError({ TELEGRAM_BOT_TOKEN: TOKEN, ADMIN_USER_IDS: "*" })).toContain(
      "ADMIN_USER_IDS",
    );
  });

  it.each(["12a", "-5", "1;2", "@alice", "1,*"])("rejects ALLOWED_USER_IDS item %j", (value) => {
    expect(configError({ TELEGRAM_BOT_TOKEN: TOKEN, ALLOWED_USER_IDS: value })).toContain(
      "ALLOWED_USER_IDS",
    );
  });

  it.each([
    ["true", true],
    ["1", true],
    ["yes", true],
    ["on", true],
    ["false", false],
    ["0", false],
    ["no", false],
    ["off", false],
  ])("reads boolean %j as %s", (value, expected) => {
    // Act
    const config = loadConfig({ TELEGRAM_BOT_TOKEN: TOKEN, SHOW_STATS: value });

    // Assess
    expect(config.chat.showStats).toBe(expected);
  });

  it("falls back to the default for an empty boolean or URL", () => {
    // Act
    const config = loadConfig({
      TELEGRAM_BOT_TOKEN: TOKEN,
      STREAM_REPLIES: "",
      SHOW_STATS: "",
      OLLAMA_URL: "",
    });

    // Assess
    expect(config.chat.streamMode).toBe("draft");
    expect(config.chat.showStats).toBe(false);
    expect(config.ollama.servers[0]?.url).toBe("http://host.docker.internal:11434");
  });

  it("STREAM_MODE picks draft, edit or off; STREAM_REPLIES=false turns streaming off whatever it says", () => {
    // Act
    const modes = [
      loadConfig({ TELEGRAM_BOT_TOKEN: TOKEN, STREAM_MODE: "edit" }).chat.streamMode,
      loadConfig({ TELEGRAM_BOT_TOKEN: TOKEN, STREAM_MODE: "off" }).chat.streamMode,
      loadConfig({ TELEGRAM_BOT_TOKEN: TOKEN, STREAM_MODE: "draft", STREAM_REPLIES: "false" }).chat
        .streamMode,
    ];

    // Assess
    expect(modes).toEqual(["edit", "off", "off"]);
  });

  it("strips trailing slashes from URLs", () => {
    // Act
    const config = loadConfig({
      TELEGRAM_BOT_TOKEN: TOKEN,
      OLLAMA_URL: "http://ollama:11434//",
      TELEGRAM_API_URL: "https://bot.example.com/",
    });

    // Assess
    expect(config.ollama.servers[0]?.url).toBe("http://ollama:11434");
    expect(config.telegram.apiUrl).toBe("https://bot.example.com");
  });

  it("converts sizes and durations to bytes and seconds", () => {
    // Act
    const config = loadConfig({
      TELEGRAM_BOT_TOKEN: TOKEN,
      ARCHIVE_AFTER_KB: "8",
      CLOSED_SESSION_RETENTION_DAYS: "1.5",
    });

    // Assess
    expect(config.sessions.archiveAfterBytes).toBe(8192);
    expect(config.sessions.closedRetentionSeconds).toBe(129_600);
  });

  it("never sends more context messages than the DynamoDB window holds", () => {
    // Act
    const config = loadConfig({
      TELEGRAM_BOT_TOKEN: TOKEN,
      CONTEXT_MESSAGES: "50",
      ARCHIVE_AFTER_MESSAGES: "10",
    });

    // Assess
    expect(config.sessions.contextMessages).toBe(10);
  });

  it("coerces numeric settings from strings", () => {
    // Act
    const config = loadConfig({
      TELEGRAM_BOT_TOKEN: TOKEN,
      OLLAMA_NUM_CTX: "4096",
      MAX_CONCURRENCY: "8",
      MAX_UPDATE_ATTEMPTS: "5",
    });

    // Assess
    expect(config.ollama.numCtx).toBe(4096);
    expect(config.maxConcurrency).toBe(8);
    expect(config.maxUpdateAttempts).toBe(5);
  });

  it("stores DEFAULT_MODEL in canonical form, so llama3:latest is the same model as llama3", () => {
    // Act
    const tagged = loadConfig({ TELEGRAM_BOT_TOKEN: TOKEN, DEFAULT_MODEL: "llama3:latest" });
    const upper = loadConfig({ TELEGRAM_BOT_TOKEN: TOKEN, DEFAULT_MODEL: "Llama3" });
    const full = loadConfig({
      TELEGRAM_BOT_TOKEN: TOKEN,
      DEFAULT_MODEL: "registry.ollama.ai/library/llama3:latest",
    });
    const ownRegistry = loadConfig({
      TELEGRAM_BOT_TOKEN: TOKEN,
      DEFAULT_MODEL: "registry.local:5000/team/llama3:8b",
    });

    // Assess
    expect(tagged.defaultModel).toBe("llama3");
    expect(upper.defaultModel).toBe("llama3");
    expect(full.defaultModel).toBe("llama3");
    expect(ownRegistry.defaultModel).toBe("registry.local:5000/team/llama3:8b");
  });
});
