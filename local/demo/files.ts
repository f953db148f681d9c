/**
 * The files the page shows: photos this person sent (kept by the demo, as an
 * app keeps what it sent) and files the bot sent, downloaded from the
 * stand-in Telegram the way any client gets them (`getFile`, then the file path).
 */
import type { ServerResponse } from "node:http";
import { sendJson } from "../../__tests__/harness/http.js";
import type { DemoChat } from "./demo-chat.js";

/** Where the bot's files are: the stand-in Telegram's address and the bot's token. */
export interface FileSource {
  readonly chat: DemoChat;
  readonly telegram: { readonly url: string; readonly token: string };
}

/** Answers `GET /api/sent/<n>` and `GET /api/files/<file_id>`; anything else is 404. */
export async function serveSentFile(
  url: URL,
  res: ServerResponse,
  { chat, telegram }: FileSource,
): Promise<void> {
  const [, , kind, id = ""] = url.pathname.split("/");
  if (kind === "sent") {
    const photo = chat.photo(Number(id));
    if (!photo) return sendJson(res, 404, { error: "No such photo." });
    res.writeHead(200, { "content-type": photo.mimeType ?? "application/octet-stream" });
    res.end(photo.bytes);
    return;
  }
  if (kind !== "files") return sendJson(res, 404, { error: "Not found." });
  const api = `${telegram.url}/bot${telegram.token}`;
  const info = (await (
    await fetch(`${api}/getFile?file_id=${encodeURIComponent(decodeURIComponent(id))}`)
  ).json()) as { ok: boolean; result?: { file_path?: string }; description?: string };
  const path = info.result?.file_path;
  if (!info.ok || !path) {
    return sendJson(res, 404, { error: info.description ?? "Telegram has no such file." });
  }
  const file = await fetch(`${telegram.url}/file/bot${telegram.token}/${path}`);
  if (!file.ok) return sendJson(res, 502, { error: `Telegram answered ${file.status}.` });
  res.writeHead(200, {
    "content-type": file.headers.get("content-type") ?? "application/octet-stream",
  });
  res.end(Buffer.from(await file.arrayBuffer()));
}
