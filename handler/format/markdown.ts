import MarkdownIt from "markdown-it";
import { escapeAttr, escapeHtml } from "./escape.js";

// Raw HTML in model output is text, never markup: html: false makes markdown-it escape it.
const md = new MarkdownIt({ html: false, linkify: false, breaks: false });

type Token = ReturnType<typeof md.parse>[number];

const SAFE_LINK = /^(https?:|tg:|mailto:)/i;

interface ListState {
  ordered: boolean;
  next: number;
}

/**
 * Renders a model's Markdown as Telegram HTML (b, i, s, code, pre, a,
 * blockquote only), walking markdown-it's tokens so the output is always
 * well-formed: headings become bold lines, lists become "•"/"1." lines,
 * tables stay readable in a pre block, and links keep only safe schemes.
 */
export function renderTelegramHtml(markdown: string): string {
  const tokens = md.parse(markdown, {});
  const lines = markdown.split("\n");
  const lists: ListState[] = [];
  let out = "";
  let skipUntil = -1;
  for (const [i, t] of tokens.entries()) {
    if (i < skipUntil) continue;
    switch (t.type) {
      case "heading_open":
        out += "<b>";
        break;
      case "heading_close":
        out += "</b>\n\n";
        break;
      case "paragraph_close":
        out += t.hidden ? "\n" : "\n\n";
        break;
      case "bullet_list_open":
      case "ordered_list_open":
        lists.push({
          ordered: t.type === "ordered_list_open",
          next: Number(t.attrGet("start") ?? 1),
        });
        break;
      case "bullet_list_close":
      case "ordered_list_close":
        lists.pop();
        if (lists.length === 0) out = `${out.trimEnd()}\n\n`;
        break;
      case "list_item_open": {
        const list = lists.at(-1);
        const marker = list?.ordered ? `${list.next++}. ` : "• ";
        out += `${"   ".repeat(Math.max(0, lists.length - 1))}${marker}`;
        break;
      }
      case "list_item_close":
        if (!out.endsWith("\n")) out += "\n";
        break;
      case "blockquote_open":
        out += "<blockquote>";
        break;
      case "blockquote_close":
        out = `${out.trimEnd()}</blockquote>\n\n`;
        break;
      case "fence": {
        const lang = fenceLanguage(t.info);
        const code = escapeHtml(t.content.replace(/\n$/, ""));
        out += lang
          ? `<pre><code class="language-${lang}">${code}</code></pre>\n\n`
          : `<pre>${code}</pre>\n\n`;
        break;
      }
      case "code_block":
        out += `<pre>${escapeHtml(t.content.replace(/\n$/, ""))}</pre>\n\n`;
        break;
      case "hr":
        out += "———\n\n";
        break;
      case "table_open": {
        const [from, to] = t.map ?? [0, 0];
        out += `<pre>${escapeHtml(lines.slice(from, to).join("\n"))}</pre>\n\n`;
        skipUntil = tokens.findIndex((x, j) => j > i && x.type === "table_close") + 1;
        break;
      }
      case "inline":
        out += renderInline(t.children ?? []);
        break;
      default:
        break;
    }
  }
  // No run of blank lines to collapse: every block ends with at most one ("\n\n" after its
  // content, lists and quotes trimmed first), and the blank lines inside a code block are
  // the code's own (PEP 8 puts two between functions), so they are kept as written.
  return out.trim();
}

/** The language a code fence names (` ```python `), reduced to characters safe in a class name. */
export function fenceLanguage(info: string): string {
  return (
    info
      .trim()
      .split(/\s+/)[0]
      ?.replace(/[^A-Za-z0-9_+#.-]/g, "") ?? ""
  );
}

function renderInline(children: readonly Token[]): string {
  let out = "";
  const links: boolean[] = [];
  for (const c of children) {
    switch (c.type) {
      case "text":
        out += escapeHtml(c.content);
        break;
      case "strong_open":
        out += "<b>";
        break;
      case "strong_close":
        out += "</b>";
        break;
      case "em_open":
        out += "<i>";
        break;
      case "em_close":
        out += "</i>";
        break;
      case "s_open":
        out += "<s>";
        break;
      case "s_close":
        out += "</s>";
        break;
      case "code_inline":
        out += `<code>${escapeHtml(c.content)}</code>`;
        break;
      case "link_open": {
        const href = String(c.attrGet("href") ?? "");
        const ok = SAFE_LINK.test(href);
        links.push(ok);
        if (ok) out += `<a href="${escapeAttr(href)}">`;
        break;
      }
      case "link_close":
        if (links.pop()) out += "</a>";
        break;
      case "image":
        out += escapeHtml(c.content || "image");
        break;
      case "softbreak":
      case "hardbreak":
        out += "\n";
        break;
      default:
        out += escapeHtml(c.content);
        break;
    }
  }
  return out;
}
