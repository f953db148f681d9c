import { describe, expect, it } from "@jest/globals";
import { splitPlainText, splitTelegramHtml } from "../../handler/format/split.js";

/** Where a long message is cut (see format.test.ts for the limits and markup integrity). */
describe("format/split boundaries", () => {
  it("prefers a paragraph break to a later line break", () => {
    expect(splitPlainText("aaaaaaaa\n\nbbbb\ncc", 16)).toEqual(["aaaaaaaa\n", "bbbb\ncc"]);
  });

  it("prefers a sentence end to a later space", () => {
    expect(splitPlainText("Some words here. Then more words follow", 30)).toEqual([
      "Some words here.",
      "Then more words follow",
    ]);
  });

  it("does not treat a dot inside a word as a sentence end", () => {
    expect(splitPlainText("Some words here. See v1.5 now", 26)[0]).toBe("Some words here.");
  });

  it("cuts at a space or a tab, which starts neither part", () => {
    expect(splitPlainText("aaaa bbbb", 6)).toEqual(["aaaa", "bbbb"]);
    expect(splitPlainText("aaaa\tbbbb", 6)).toEqual(["aaaa", "bbbb"]);
  });

  it("keeps the indentation of a line cut before (plain text cannot say which lines are code)", () => {
    expect(splitPlainText("aaaa\n\tbbbb", 7)).toEqual(["aaaa", "\tbbbb"]);
  });

  it("always makes progress, even with a one-character limit", () => {
    expect(splitPlainText("a b", 1)).toEqual(["a", "b"]);
    expect(splitPlainText("😀😀", 1)).toEqual(["😀", "😀"]);
  });

  it("drops all the newlines a chunk would start with", () => {
    expect(splitPlainText("aaaaaaaa\n\n\n\nbbbb", 10)).toEqual(["aaaaaaaa\n\n", "bbbb"]);
  });
});

describe("format/split: no part starts with whitespace", () => {
  it("drops the space a sentence was cut at, inside formatting too", () => {
    expect(splitTelegramHtml("<b>First sentence here. Second one</b>", 26)).toEqual([
      "<b>First sentence here.</b>",
      "<b>Second one</b>",
    ]);
  });

  it("drops a nested list item's indentation outside code", () => {
    expect(splitTelegramHtml("• aaaaaaaa\n   ◦ bbbb", 14)).toEqual(["• aaaaaaaa", "◦ bbbb"]);
  });

  it("keeps a code line's indentation inside <pre>, but not the line break it was cut at", () => {
    expect(splitTelegramHtml("<pre>aaaaaaaa\n    bbbb</pre>", 14)).toEqual([
      "<pre>aaaaaaaa</pre>",
      "<pre>    bbbb</pre>",
    ]);
  });

  it("drops the space a long code line was cut at inside <pre>", () => {
    expect(splitTelegramHtml("<pre>aaaa bbbb</pre>", 6)).toEqual([
      "<pre>aaaa</pre>",
      "<pre>bbbb</pre>",
    ]);
  });
});

describe("format/split splitTelegramHtml markup", () => {
  it("counts only visible characters: tags, however long, do not use up the limit", () => {
    // Prepare
    const html = `<a href="https://example.com/a/rather/long/path">${"x".repeat(10)}</a>`;

    // Act / Assess
    expect(splitTelegramHtml(html, 10)).toEqual([html]);
  });

  it("never cuts an entity that follows plain text", () => {
    expect(splitTelegramHtml(`ab${"&lt;".repeat(6)}`, 3)).toEqual([
      "ab&lt;",
      "&lt;&lt;&lt;",
      "&lt;&lt;",
    ]);
  });

  it("does not let a stray closing tag close another element", () => {
    expect(splitTelegramHtml(`<b>${"a".repeat(8)}</i>${"b".repeat(8)}</b>`, 10)).toEqual([
      `<b>${"a".repeat(8)}</i>bb</b>`,
      `<b>${"b".repeat(6)}</b>`,
    ]);
  });

  it("keeps line breaks inside a chunk, dropping only those it would start with", () => {
    expect(splitTelegramHtml("line one\nline two")).toEqual(["line one\nline two"]);
  });

  it("sends no chunk whose visible text is only whitespace", () => {
    expect(splitTelegramHtml(`${"a".repeat(10)}${" ".repeat(10)}`, 10)).toEqual(["a".repeat(10)]);
  });
});
