/**
 * Shared helpers of the chat-experience integration tests: people and chats,
 * sending a message and invoking a cold Lambda, reading what Telegram showed,
 * and a transparent proxy in front of the fake Ollama for behaviours the fake
 * does not produce by itself (models that always think, silent truncation).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { s3Keys, s3Text } from "../archive/support.js";
import type { TestBed } from "../harness/bed.js";
import type { ChatBody } from "../harness/fake-ollama.js";
import type { RecordedRequest, TgChat } from "../harness/fake-telegram.js";
import { tableItems } from "../harness/items.js";
import { allLogs } from "../harness/lambda.js";
import { type Person, person } from "../harness/people.js";

export type { Person, PollSummary } from "../harness/people.js";
export { invoke, lastText, say, sleep, textsTo } from "../harness/people.js";

let nextId = 7000;

/** A new user with their private chat (ids unique within a test file). */
export function newPerson(firstName = "Tester"): Person {
  const id = nextId++;
  return person(`${firstName}${id}`, { id, user: { username: `user${id}` } });
}

let nextGroup = 1;

/** A new basic group (negative id, type "group"). */
export function newGroup(): TgChat {
  return { id: -(4000 + nextGroup++), type: "group", title: "Test group" };
}

/** The bed's environment with `overrides` (each cold start gets exactly its own environment). */
export function envWith(
  bed: TestBed,
  overrides: Readonly<Record<string, string>> = {},
): Record<string, string> {
  return { ...bed.env, ...overrides };
}

/** Bot API requests of `method` addressed to `chatId`. */
export function requestsTo(bed: TestBed, method: string, chatId: number): RecordedRequest[] {
  return bed.telegram.requests(method).filter((r) => Number(r.params.chat_id) === chatId);
}

export { conversationOf, type StoredMessage, sessionItems, userItems } from "../harness/items.js";

/**
 * Everything the bot wrote that a secret must never be in, as text per place:
 * DynamoDB, S3, the logs, the Telegram requests, the documents sent to
 * `chatId` and the invoke `results`.
 */
export async function placesTheBotWrote(
  bed: TestBed,
  chatId: number,
  results: readonly unknown[],
): Promise<Record<string, string>> {
  const objects = await Promise.all((await s3Keys(bed)).map((key) => s3Text(bed, key)));
  return {
    dynamodb: JSON.stringify(await tableItems(bed)),
    s3: objects.join("\n"),
    logs: allLogs().join("\n"),
    telegramRequests: JSON.stringify(bed.telegram.requests()),
    documents: bed.telegram
      .documents(chatId)
      .map((d) => d.content.toString("utf8"))
      .join("\n"),
    invokeResults: JSON.stringify(results),
  };
}

/** How the {@link OllamaProxy} changes traffic. */
export interface ProxyHooks {
  /** Rewrites a `/api/chat` request body before it reaches the fake. */
  request?: (body: ChatBody) => ChatBody;
  /** Rewrites each NDJSON line of a `/api/chat` answer. */
  line?: (line: Record<string, unknown>, request: ChatBody) => Record<string, unknown>;
}

/**
 * A transparent HTTP proxy in front of the fake Ollama. Point `OLLAMA_URL` at
 * {@link url}; `/api/chat` traffic goes through {@link ProxyHooks}, the rest
 * passes unchanged.
 */
export class OllamaProxy {
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(target: string, hooks: ProxyHooks): Promise<OllamaProxy> {
    const server = createServer((req, res) => {
      void forward(target, hooks, req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(502, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: `proxy: ${String(err)}` }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const { port } = server.address() as AddressInfo;
    return new OllamaProxy(server, `http://127.0.0.1:${port}`);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

async function forward(
  target: string,
  hooks: ProxyHooks,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString("utf8");
  const path = req.url ?? "/";
  const isChat = path.startsWith("/api/chat");
  let body: ChatBody | undefined = isChat && raw ? (JSON.parse(raw) as ChatBody) : undefined;
  if (body && hooks.request) body = hooks.request(body);
  const upstream = await fetch(`${target}${path}`, {
    method: req.method ?? "GET",
    headers: { "content-type": "application/json" },
    ...(req.method === "GET" || req.method === "HEAD"
      ? {}
      : { body: body ? JSON.stringify(body) : raw }),
  });
  res.writeHead(upstream.status, {
    "content-type": upstream.headers.get("content-type") ?? "application/json",
  });
  if (!upstream.body) {
    res.end();
    return;
  }
  const decoder = new TextDecoder();
  let pending = "";
  for await (const part of upstream.body) {
    const text = decoder.decode(part, { stream: true });
    if (!isChat || !body || !hooks.line || upstream.status !== 200) {
      res.write(text);
      continue;
    }
    pending += text;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.trim()) continue;
      res.write(
        `${JSON.stringify(hooks.line(JSON.parse(line) as Record<string, unknown>, body))}\n`,
      );
    }
  }
  if (pending.trim()) res.write(pending);
  res.end();
}
