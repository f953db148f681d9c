// The chat's messages: each drawn once and redrawn only when it changes (its
// keyboard apart from its text), so that a button is never replaced under
// the pointer while the bot edits the message above it.
import { formatted } from "/format.js";
import { richMessage } from "/rich.js";

/** Messages drawn so far: id → { li, json, keys, body, kb }. */
const drawn = new Map();

function textBlock(text, entities) {
  const div = document.createElement("div");
  div.className = "text";
  div.append(formatted(text, entities));
  return div;
}

function messageBody(m) {
  const body = document.createElement("div");
  const who = document.createElement("span");
  who.className = "sr-only";
  who.textContent = m.from === "you" ? "You: " : "Bot: ";
  body.append(who);
  if (m.photo) {
    const img = document.createElement("img");
    img.className = "photo";
    img.src = m.photo.url;
    img.width = m.photo.width;
    img.height = m.photo.height;
    img.alt = m.text ? `Photo: ${m.text}` : "Photo";
    body.append(img);
  }
  if (m.document) {
    const file = document.createElement("div");
    file.className = "file";
    const name = document.createElement(m.document.url ? "a" : "span");
    name.textContent = `📄 ${m.document.name}`;
    if (m.document.url) {
      name.href = m.document.url;
      name.download = m.document.name;
    }
    const size = document.createElement("small");
    size.textContent = `${Math.max(1, Math.round(m.document.size / 1024))} KB`;
    file.append(name, size);
    body.append(file);
  }
  if (m.rich) body.append(richMessage(m.rich));
  else if (m.text) body.append(textBlock(m.text, m.entities));
  return body;
}

function keyboard(m, onPress) {
  const div = document.createElement("div");
  div.className = "keyboard";
  for (const row of m.buttons ?? []) {
    const line = document.createElement("div");
    line.className = "keyboard-row";
    for (const b of row) {
      if (b.url) {
        const a = document.createElement("a");
        a.href = b.url;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        a.textContent = b.text;
        line.append(a);
        continue;
      }
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = b.text;
      button.addEventListener("click", () => onPress(m.messageId, b.data));
      line.append(button);
    }
    div.append(line);
  }
  return div;
}

/**
 * Draws `list` (the demo's messages, in order) into the `<ol>` `into`;
 * `onPress(messageId, data)` is called when an inline button is pressed.
 */
export function drawMessages(into, list, onPress) {
  // A restarted demo is a new Telegram: messages it does not list are gone.
  const ids = new Set(list.map((m) => m.id));
  for (const [id, entry] of drawn) {
    if (ids.has(id)) continue;
    entry.li.remove();
    drawn.delete(id);
  }
  let previous = null;
  for (const m of list) {
    let entry = drawn.get(m.id);
    if (!entry) {
      entry = { li: document.createElement("li"), json: "", keys: "", body: null, kb: null };
      entry.li.className = `bubble ${m.from}`;
      drawn.set(m.id, entry);
    }
    const { buttons, ...rest } = m;
    const json = JSON.stringify(rest);
    if (entry.json !== json) {
      const body = messageBody(m);
      if (entry.body) entry.body.replaceWith(body);
      else entry.li.prepend(body);
      entry.body = body;
      entry.json = json;
    }
    const keys = JSON.stringify(buttons ?? []);
    if (entry.keys !== keys) {
      const kb = keyboard(m, onPress);
      if (entry.kb) entry.kb.replaceWith(kb);
      else entry.li.append(kb);
      entry.kb = kb;
      entry.keys = keys;
    }
    const wanted = previous ? previous.nextSibling : into.firstChild;
    if (wanted !== entry.li) into.insertBefore(entry.li, wanted);
    previous = entry.li;
  }
}
