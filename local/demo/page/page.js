// The demo's chat page: plays the Telegram app against the stand-in Telegram.
// The demo pushes the chat's state as server-sent events; this script draws it
// (messages by id, redrawn only when they change, so a button is never
// replaced under the pointer) and posts what the person does.
import { formatted } from "/format.js";
import { drawMessages } from "/messages.js";
import { richMessage } from "/rich.js";

const DRAFT_LIFETIME_MS = 30_000;
const TYPING_MS = 5_000;
const NOTICE_MS = 4_000;

const $ = (id) => document.getElementById(id);
const ui = {
  botName: $("bot-name"),
  status: $("bot-status"),
  badge: $("stand-in-badge"),
  about: $("about"),
  messages: $("messages"),
  draft: $("draft"),
  draftText: $("draft-text"),
  draftStop: $("draft-stop"),
  notices: $("notices"),
  menu: $("menu"),
  menuList: $("menu-list"),
  composer: $("composer"),
  text: $("text"),
  file: $("file"),
};

const seenNotices = new Set();
let current;
let firstState = true;
let connected = false;
let menuJson = "";
let refreshTimer;

// ---- drawing ------------------------------------------------------------------

function drawDraft(chat) {
  const { draft } = chat;
  ui.draft.hidden = !draftLive(chat);
  if (ui.draft.hidden) return;
  ui.draftText.replaceChildren(
    draft.rich
      ? richMessage(draft.rich)
      : draft.text
        ? formatted(draft.text, draft.entities)
        : Object.assign(document.createElement("em"), { textContent: "Thinking…" }),
  );
  ui.draftStop.hidden = !draft.canStop;
  ui.draftStop.disabled = draft.stopping;
  ui.draftStop.textContent = draft.stopping ? "Stopping…" : "⏹ Stop";
  ui.draftStop.dataset.draftId = String(draft.draftId);
}

const draftLive = (chat) => chat.draft && Date.now() - chat.draft.at < DRAFT_LIFETIME_MS;
const typingLive = (chat) => chat.typingAt && Date.now() - chat.typingAt < TYPING_MS;

function drawStatus(chat) {
  if (!connected) return;
  ui.status.textContent = draftLive(chat) || typingLive(chat) ? "typing…" : "bot";
}

function drawNotices(notices) {
  for (const n of notices) {
    if (seenNotices.has(n.id)) continue;
    seenNotices.add(n.id);
    if (!firstState) notice(n.text);
  }
}

function drawMenu(commands) {
  const json = JSON.stringify(commands);
  if (json === menuJson) return;
  menuJson = json;
  ui.menu.hidden = commands.length === 0;
  ui.menuList.replaceChildren(
    ...commands.map((c) => {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.append(`/${c.command}`);
      const small = document.createElement("small");
      small.textContent = c.description;
      button.append(small);
      button.addEventListener("click", () => {
        ui.text.value = `/${c.command} `;
        ui.menu.open = false;
        ui.text.focus();
      });
      li.append(button);
      return li;
    }),
  );
}

function notice(text) {
  const div = document.createElement("div");
  div.className = "notice";
  div.textContent = text;
  ui.notices.append(div);
  setTimeout(() => div.remove(), NOTICE_MS);
}

function render(state) {
  current = state;
  const { info, chat } = state;
  const atBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 80;
  ui.botName.textContent = `@${info.bot}`;
  ui.badge.hidden = !info.standIn;
  ui.about.textContent = `A demo on your machine: the real bot, a stand-in Telegram played by this page. ${info.model}.`;
  drawMessages(ui.messages, chat.messages, (messageId, data) =>
    post("/api/presses", { messageId, data }),
  );
  drawDraft(chat);
  drawStatus(chat);
  drawNotices(chat.notices);
  drawMenu(chat.commands);
  firstState = false;
  if (atBottom) window.scrollTo(0, document.body.scrollHeight);
  // Drafts and "typing…" expire on their own: look again when the next one would.
  clearTimeout(refreshTimer);
  if (draftLive(chat) || typingLive(chat)) refreshTimer = setTimeout(() => render(current), 1_000);
}

// ---- acting ---------------------------------------------------------------------

async function post(path, body, { json = true, query = "" } = {}) {
  try {
    const res = await fetch(`${path}${query}`, {
      method: "POST",
      headers: { "content-type": json ? "application/json" : "application/octet-stream" },
      body: json ? JSON.stringify(body) : body,
    });
    if (!res.ok) {
      const problem = await res.json().catch(() => ({}));
      throw new Error(problem.error || `The demo answered ${res.status}.`);
    }
    return true;
  } catch (err) {
    notice(err instanceof Error ? err.message : String(err));
    return false;
  }
}

async function sendText() {
  const text = ui.text.value;
  if (text.trim() === "") return;
  if (await post("/api/messages", { text })) ui.text.value = "";
}

async function sendFile(file) {
  const caption = ui.text.value;
  const params = new URLSearchParams({ name: file.name, type: file.type, caption });
  if (/^image\/(jpeg|png|webp)$/.test(file.type)) {
    const size = await createImageBitmap(file).catch(() => undefined);
    if (size) {
      params.set("kind", "photo");
      params.set("width", String(size.width));
      params.set("height", String(size.height));
      size.close();
    }
  }
  if (await post("/api/files", file, { json: false, query: `?${params}` })) ui.text.value = "";
}

ui.composer.addEventListener("submit", (e) => {
  e.preventDefault();
  sendText();
});
ui.text.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    sendText();
  }
});
ui.file.addEventListener("change", () => {
  const [file] = ui.file.files ?? [];
  ui.file.value = "";
  if (file) sendFile(file);
});
ui.draftStop.addEventListener("click", () =>
  post("/api/draft-stops", { draftId: Number(ui.draftStop.dataset.draftId) }),
);

const events = new EventSource("/api/events");
events.addEventListener("open", () => {
  connected = true;
});
events.addEventListener("message", (e) => render(JSON.parse(e.data)));
events.addEventListener("error", () => {
  connected = false;
  ui.status.textContent = "not connected: is npm run demo still running?";
});
