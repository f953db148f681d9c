import { describe, expect, it } from "@jest/globals";
import { invoke, lastText, person, repliesTo, useArchiveBed } from "../archive/support.js";
import { lastPrompt, pdf } from "./support.js";

describe("documents are read into the prompt", () => {
  const bed = useArchiveBed({ DOCUMENT_MAX_CHARS: "2000", DOCUMENT_MAX_BYTES: "65536" });

  const send = async (
    who: ReturnType<typeof person>,
    fileName: string,
    content: Buffer | string,
    caption?: string,
    mimeType?: string,
  ) => {
    bed.telegram.pushDocument(
      who.user,
      who.chat,
      { fileName, content, ...(mimeType ? { mimeType } : {}) },
      caption,
    );
    return invoke(bed);
  };

  it("puts a text file into the prompt with its caption as the question", async () => {
    // Arrange
    const ada = person(9201, "Ada");

    // Act
    await send(
      ada,
      "notes.md",
      "# Plan\n- buy milk\n- call Bob",
      "What is on my list?",
      "text/markdown",
    );

    // Assess
    expect(lastPrompt(bed)?.content).toBe(
      'What is on my list?\n\n<document name="notes.md">\n# Plan\n- buy milk\n- call Bob\n</document>',
    );
    expect(lastText(bed, ada.chat.id)).toContain("You said: What is on my list?");
  });

  it("asks for a summary of a file sent without a caption, and reads source code, CSV and plain JSON data alike", async () => {
    // Arrange
    const bob = person(9202, "Bob");

    // Act
    await send(bob, "main.py", "print('hi')\n");
    const code = lastPrompt(bed)?.content;
    await send(bob, "data.csv", "a,b\n1,2\n", "sum column b", "text/csv");
    const csv = lastPrompt(bed)?.content;
    await send(bob, "data.json", JSON.stringify({ hello: "world" }), "what is hello?");
    const json = lastPrompt(bed)?.content;

    // Assess
    expect(code).toBe(
      "Summarise this document.\n\n<document name=\"main.py\">\nprint('hi')\n\n</document>",
    );
    expect(csv).toContain('sum column b\n\n<document name="data.csv">\na,b\n1,2\n');
    expect(json).toContain('what is hello?\n\n<document name="data.json">\n{"hello":"world"}');
  });

  it("cuts a long text to DOCUMENT_MAX_CHARS and says so", async () => {
    // Arrange
    const cy = person(9203, "Cy");
    const long = `${"a".repeat(1990)}TAIL-${"b".repeat(3000)}`;

    // Act
    await send(cy, "long.txt", long, "what is at the end?");

    // Assess
    const [note] = repliesTo(bed, cy);
    expect(note).toBe(
      "ℹ️ long.txt is long: I read its first 2000 characters of 4995. Ask about a part by quoting it, or send a shorter file.",
    );
    const prompt = lastPrompt(bed)?.content ?? "";
    expect(prompt).toContain('<document name="long.txt" cut="true">');
    expect(prompt).toContain(`${"a".repeat(1990)}TAIL-bbbb`);
    expect(prompt).not.toContain("b".repeat(10));
  });

  it("reads the text of a PDF, page by page", async () => {
    // Arrange
    const dan = person(9204, "Dan");

    // Act
    await send(
      dan,
      "report.pdf",
      pdf(["Revenue grew 12 percent", "Costs fell"]),
      "Summarise",
      "application/pdf",
    );

    // Assess
    expect(lastPrompt(bed)?.content).toBe(
      'Summarise\n\n<document name="report.pdf">\nRevenue grew 12 percent\n\nCosts fell\n</document>',
    );
  });

  it("answers a corrupt PDF with a clear reply and does not call the model", async () => {
    // Arrange
    const eve = person(9205, "Eve");
    const chats = bed.ollama.chats().length;

    // Act
    const summary = await send(eve, "broken.pdf", Buffer.from("%PDF-1.4 this is not really a pdf"));

    // Assess
    expect(summary.failed).toBe(0);
    expect(lastText(bed, eve.chat.id)).toMatch(
      /^I couldn't read broken\.pdf: it is not a valid PDF \(/,
    );
    expect(bed.ollama.chats()).toHaveLength(chats);
  });

  it("lists what works for a file type it cannot read, and for binary data named like text", async () => {
    // Arrange
    const fay = person(9206, "Fay");
    const chats = bed.ollama.chats().length;
    const downloads = bed.telegram.requests("getFile").length;

    // Act
    await send(
      fay,
      "archive.zip",
      Buffer.from([0x50, 0x4b, 3, 4, 0, 0]),
      undefined,
      "application/zip",
    );
    await send(fay, "weird.txt", Buffer.from([0x41, 0, 0x42, 0]));

    // Assess
    const [zip, binary] = repliesTo(bed, fay);
    expect(zip).toMatch(
      /^I can't read archive\.zip\. I can read photos and images .*PDFs, text files/,
    );
    expect(binary).toMatch(/^weird\.txt doesn't look like a text file \(it holds binary data\)\./);
    expect(bed.ollama.chats()).toHaveLength(chats);
    // Only the .txt was downloaded: a .zip is refused from its name.
    expect(bed.telegram.requests("getFile")).toHaveLength(downloads + 1);
  });

  it("/help says how photos and files are answered", async () => {
    // Arrange
    const hal = person(9208, "Hal");

    // Act
    bed.telegram.pushText(hal.user, hal.chat, "/help");
    await invoke(bed);

    // Assess
    expect(lastText(bed, hal.chat.id)).toContain(
      "📷 Photos and images (caption = your question) go to models that can see (such as llava). 📄 Text, code and PDF files are read",
    );
  });

  it("refuses a file over DOCUMENT_MAX_BYTES without downloading it", async () => {
    // Arrange
    const gus = person(9207, "Gus");
    const downloads = bed.telegram.requests("getFile").length;

    // Act
    await send(gus, "big.txt", "x".repeat(70_000));

    // Assess
    expect(lastText(bed, gus.chat.id)).toBe("That file is 69 KB; I read files up to 64 KB.");
    expect(bed.telegram.requests("getFile")).toHaveLength(downloads);
  });
});
