/**
 * The demo's chat page on 127.0.0.1: plain HTML, CSS and JS from `page/`,
 * and a small JSON API the page calls as a Telegram app calls Telegram
 * (send, press, stop; the chat's state pushed as server-sent events). Only
 * this machine's browser may use it: requests must name the page's own host
 * (no DNS rebinding) and come from its own origin.
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { sendJson } from "../../__tests__/harness/http.js";
import { listenWithRetry } from "../listen.js";
import type { DemoChat } from "./demo-chat.js";
import { serveSentFile } from "./files.js";

/** The largest file the page takes (Telegram bots themselves download at most 20 MB). */
const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;

const PAGE_DIR = join(import.meta.dirname, "page");
const STATIC: Readonly<Record<string, { file: string; type: string }>> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/page.css": { file: "page.css", type: "text/css; charset=utf-8" },
  "/rich.css": { file: "rich.css", type: "text/css; charset=utf-8" },
  "/page.js": { file: "page.js", type: "text/javascript; charset=utf-8" },
  "/format.js": { file: "format.js", type: "text/javascript; charset=utf-8" },
  "/messages.js": { file: "messages.js", type: "text/javascript; charset=utf-8" },
  "/rich.js": { file: "rich.js", type: "text/javascript; charset=utf-8" },
};
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'self'; img-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/** What the page's header says: which bot, which model. */
export interface PageInfo {
  readonly bot: string;
  readonly model: string;
  readonly standIn: boolean;
}

/** Options of {@link startWebPage}. */
export interface WebPageOptions {
  readonly chat: DemoChat;
  /** The stand-in Telegram, for the files the bot sent. */
  readonly telegram: { readonly url: string; readonly token: string };
  readonly info: PageInfo;
  /** Tells the terminal about a request that failed unexpectedly. */
  readonly say: (line: string) => void;
  /** The port to listen on (0: any free one); one that stays taken for a second falls back to a free one. */
  readonly port: number;
}

/** The running page. */
export interface WebPage {
  /** e.g. `http://127.0.0.1:8080` */
  readonly url: string;
  /** True when the wanted port was taken and another one is used. */
  readonly movedPort: boolean;
  close(): Promise<void>;
}

/** A request the API refuses, with the status and message the page shows. */
class Refused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Starts the page's server on 127.0.0.1. */
export async function startWebPage(options: WebPageOptions): Promise<WebPage> {
  const pages = Object.fromEntries(
    Object.entries(STATIC).map(([path, s]) => [path, readFileSync(join(PAGE_DIR, s.file))]),
  );
  const events = new Set<ServerResponse>();
  let hosts: string[] = [];
  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      if (!(err instanceof Refused))
        options.say(`⚠ the page's ${req.method} ${req.url} failed: ${String(err)}`);
      const refused = err instanceof Refused ? err : new Refused(500, String(err));
      if (!res.headersSent) sendJson(res, refused.status, { error: refused.message });
      else res.destroy();
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const asked = req.headers.host ?? "";
    const origin = req.headers.origin;
    if (!hosts.includes(asked) || (origin !== undefined && origin !== `http://${asked}`)) {
      throw new Refused(403, "This page answers only at its own address.");
    }
    const url = new URL(req.url ?? "/", `http://${asked}`);
    const page = STATIC[url.pathname];
    if (req.method === "GET" && page) {
      res.writeHead(200, {
        "content-type": page.type,
        "cache-control": "no-store",
        ...SECURITY_HEADERS,
      });
      res.end(pages[url.pathname]);
      return;
    }
    if (url.pathname === "/favicon.ico") {
      res.writeHead(204).end();
      return;
    }
    if (req.method === "GET" && url.pathname === "/api/events") return follow(res);
    if (req.method === "GET" && url.pathname === "/api/state") {
      return sendJson(res, 200, state());
    }
    if (req.method === "GET" && url.pathname.startsWith("/api/")) {
      return serveSentFile(url, res, options);
    }
    if (req.method !== "POST") throw new Refused(404, "Not found.");
    act(url, req.headers["content-type"] ?? "", await readLimited(req));
    sendJson(res, 200, { ok: true });
  }

  /** Does what the page asked; a bad request is refused with a reason. */
  function act(url: URL, contentType: string, body: Buffer): void {
    if (url.pathname === "/api/files") {
      sendFile(options.chat, url.searchParams, body);
      return;
    }
    const action = ACTIONS[url.pathname];
    if (!action) throw new Refused(404, "Not found.");
    if (!contentType.startsWith("application/json")) throw new Refused(415, "JSON expected.");
    action(options.chat, parseJson(body));
  }

  const state = () => ({ info: options.info, chat: options.chat.view() });
  let last = "";
  let scheduled = false;
  const broadcast = () => {
    scheduled = false;
    const json = JSON.stringify(state());
    if (json === last) return;
    last = json;
    for (const res of events) res.write(`data: ${json}\n\n`);
  };
  const stopFollowing = options.chat.onChange(() => {
    if (scheduled || events.size === 0) return;
    scheduled = true;
    setImmediate(broadcast);
  });

  function follow(res: ServerResponse): void {
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      ...SECURITY_HEADERS,
    });
    res.write(`data: ${JSON.stringify(state())}\n\n`);
    events.add(res);
    res.on("close", () => events.delete(res));
  }

  await listenWithRetry(server, options.port, "127.0.0.1");
  const { port } = server.address() as AddressInfo;
  hosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  return {
    url: `http://127.0.0.1:${port}`,
    movedPort: options.port !== 0 && port !== options.port,
    async close() {
      stopFollowing();
      for (const res of events) res.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** What the page's JSON posts do: send a message, press a button, stop a draft. */
const ACTIONS: Readonly<Record<string, (chat: DemoChat, input: Record<string, unknown>) => void>> =
  {
    "/api/messages": (chat, input) => {
      const text = typeof input.text === "string" ? input.text : "";
      if (text.trim() === "") throw new Refused(400, "Write something first.");
      chat.sendText(text);
    },
    "/api/presses": (chat, input) =>
      refusing(() => chat.press(Number(input.messageId), String(input.data ?? ""))),
    "/api/draft-stops": (chat, input) => refusing(() => chat.stopDraft(Number(input.draftId))),
  };

/** Runs `act`; what it throws (a button or draft that never was) is the page's bad request. */
function refusing(act: () => void): void {
  try {
    act();
  } catch (err) {
    throw new Refused(400, err instanceof Error ? err.message : String(err));
  }
}

/** A photo or a document the page uploads: its bytes in the body, the rest in the query. */
function sendFile(chat: DemoChat, query: URLSearchParams, bytes: Buffer): void {
  if (bytes.length === 0) throw new Refused(400, "The file is empty.");
  const caption = query.get("caption") ?? "";
  const file = {
    fileName: query.get("name") || "file",
    bytes,
    ...(query.get("type") ? { mimeType: query.get("type") ?? "" } : {}),
    ...(caption.trim() ? { caption } : {}),
  };
  if (query.get("kind") !== "photo") {
    chat.sendDocument(file);
    return;
  }
  const width = Number(query.get("width"));
  const height = Number(query.get("height"));
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw new Refused(400, "A photo needs its width and height.");
  }
  chat.sendPhoto(file, { width, height });
}

/** The request's body, refused once it passes {@link MAX_UPLOAD_BYTES}. */
async function readLimited(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_UPLOAD_BYTES) {
      throw new Refused(413, `The demo takes files up to ${MAX_UPLOAD_BYTES / 1024 / 1024} MB.`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function parseJson(body: Buffer): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(body.toString("utf8"));
    if (typeof value === "object" && value !== null) return value as Record<string, unknown>;
  } catch {
    // Refused below, as any other body that is not an object.
  }
  throw new Refused(400, "A JSON object expected.");
}
