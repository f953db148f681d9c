import { beforeAll, describe, expect, it } from "@jest/globals";
import {
  type ArchiveJson,
  conversationOf,
  invoke,
  lastText,
  type Person,
  person,
  repliesTo,
  s3Keys,
  say,
  sessionItems,
  useArchiveBed,
} from "../archive/support.js";
import type { ChatBody } from "../harness/fake-ollama.js";
import { chatBodies, imagesOf, jpeg, lastPrompt, png, s3Bytes } from "./support.js";

const MB = 1024 * 1024;

describe("photos go to models that can see", () => {
  const bed = useArchiveBed({ IMAGE_MAX_BYTES: String(MB) });
  beforeAll(async () => {
    bed.ollama.setModels(["llama3:latest", "llava:latest"]);
    // The vision model says what it was given, so each test can see what reached it.
    bed.ollama.setReply("llava", (body: ChatBody) => {
      const last = body.messages.at(-1);
      const sent = body.messages.flatMap((m) => m.images ?? []);
      return `Seen ${sent.length} image(s) for: ${last?.content}`;
    });
  });

  const photo = (who: Person, sizes: Buffer[], caption?: string) =>
    bed.telegram.pushPhoto(
      who.user,
      who.chat,
      sizes.map((content, i) => ({ width: 90 * (i + 1), height: 60 * (i + 1), content })),
      caption === undefined ? {} : { caption },
    );

  const ada = person(9101, "Ada");
  const small = jpeg(2_000, 0x31);
  const large = jpeg(300_000, 0x32);
  const tooLarge = jpeg(2 * MB, 0x33);

  it("sends the largest size that fits IMAGE_MAX_BYTES, with the caption, as base64 images; the image goes to S3, its key to DynamoDB", async () => {
    // Arrange
    await say(bed, ada, "/model llava");
    const before = bed.ollama.chats().length;

    // Act
    const updateId = photo(ada, [small, large, tooLarge], "What is on this photo?");
    await invoke(bed);

    // Assess: one request, the 300 KB size (the 2 MB one is over the limit), the caption as the question
    expect(bed.ollama.chats()).toHaveLength(before + 1);
    const prompt = lastPrompt(bed);
    expect(prompt?.content).toBe("What is on this photo?");
    expect(imagesOf(prompt)).toEqual([large]);
    expect(lastText(bed, ada.chat.id)).toBe("Seen 1 image(s) for: What is on this photo?");
    const [session] = await sessionItems(bed, ada.user.id);
    const window = conversationOf(session) as { content: string; images?: string[] }[];
    const key = `${ada.user.id}/model_llava/images/session_${session?.session_id}/${updateId}.jpg`;
    expect(window.at(-2)).toMatchObject({ content: "What is on this photo?", images: [key] });
    expect(JSON.stringify(session).length).toBeLessThan(10_000);
    expect(await s3Bytes(bed, key)).toEqual(large);
  });

  it("answers a follow-up question about the same photo with the photo sent again (read back from S3)", async () => {
    // Act
    await say(bed, ada, "And what colour is it?");

    // Assess: the earlier user turn carries its image again; the new question has none
    const body = chatBodies(bed).at(-1);
    const users = body?.messages.filter((m) => m.role === "user") ?? [];
    expect(users.map((m) => m.content)).toEqual([
      "What is on this photo?",
      "And what colour is it?",
    ]);
    expect(imagesOf(users[0])).toEqual([large]);
    expect(users[1]?.images).toBeUndefined();
    expect(lastText(bed, ada.chat.id)).toBe("Seen 1 image(s) for: And what colour is it?");
  });

  it("asks a default question about a photo sent without a caption", async () => {
    // Act
    photo(ada, [small]);
    await invoke(bed);

    // Assess
    expect(lastPrompt(bed)?.content).toBe("Describe this image.");
    expect(imagesOf(lastPrompt(bed))).toEqual([small]);
  });

  it("takes an image sent as a file (image/png) like a photo", async () => {
    // Arrange
    const picture = png(5_000);

    // Act
    bed.telegram.pushDocument(
      ada.user,
      ada.chat,
      { fileName: "chart.png", content: picture, mimeType: "image/png" },
      "Explain this chart",
    );
    await invoke(bed);

    // Assess
    expect(lastPrompt(bed)?.content).toBe("Explain this chart");
    expect(imagesOf(lastPrompt(bed))).toEqual([picture]);
    expect((await s3Keys(bed, `${ada.user.id}/model_llava/images/`)).at(-1)).toMatch(/\.png$/);
  });

  it("never sends an image to a text-only model: it names the installed models that can see, and downloads nothing", async () => {
    // Arrange
    const bob = person(9102, "Bob");
    const chats = bed.ollama.chats().length;
    const downloads = bed.telegram.requests("getFile").length;

    // Act
    photo(bob, [small], "What is this?");
    await invoke(bed);

    // Assess
    expect(bed.ollama.chats()).toHaveLength(chats);
    expect(bed.telegram.requests("getFile")).toHaveLength(downloads);
    const reply = lastText(bed, bob.chat.id);
    expect(reply).toContain("llama3 can't look at images, so I didn't send it yours.");
    expect(reply).toContain("• llava");
    expect(reply).toContain("/model llava");
    expect(await s3Keys(bed, `${bob.user.id}/`)).toEqual([]);
  });

  it("suggests pulling a vision model when none is installed", async () => {
    // Arrange
    const cy = person(9103, "Cy");
    bed.ollama.setModels(["llama3:latest", "mistral:latest"]);

    // Act
    photo(cy, [small]);
    await invoke(bed);
    bed.ollama.setModels(["llama3:latest", "llava:latest"]);

    // Assess
    expect(lastText(bed, cy.chat.id)).toContain("None of the installed models can see images");
    expect(lastText(bed, cy.chat.id)).toContain("/pull llava");
  });

  it("refuses a 30 MB photo with its size, downloads nothing, and still answers everyone else", async () => {
    // Arrange
    const dan = person(9104, "Dan");
    const eve = person(9105, "Eve");
    await say(bed, dan, "/model llava");
    const downloads = bed.telegram.requests("getFile").length;

    // Act: the 30 MB photo and another user's message in the same invoke
    photo(dan, [jpeg(30 * MB)], "Look!");
    bed.telegram.pushText(eve.user, eve.chat, "hello");
    const summary = await invoke(bed);

    // Assess
    expect(summary.failed).toBe(0);
    expect(lastText(bed, dan.chat.id)).toBe(
      "That photo is 30.0 MB; I can look at images up to 1.0 MB. Send a smaller one: a photo sent as a photo (not as a file) is compressed and fits.",
    );
    expect(bed.telegram.requests("getFile")).toHaveLength(downloads);
    expect(lastText(bed, eve.chat.id)).toBe("You said: hello");
  });

  it("says so when Telegram refuses to hand over a file over 20 MB (getFile: file is too big)", async () => {
    // Arrange: a file whose message does not give its size (optional in the Bot API), so the bot asks
    const fay = person(9106, "Fay");
    await say(bed, fay, "/model llava");

    // Act
    bed.telegram.pushDocument(fay.user, fay.chat, {
      fileName: "scan.png",
      content: png(21 * MB),
      mimeType: "image/png",
      withoutSize: true,
    });
    const summary = await invoke(bed);

    // Assess
    expect(summary.failed).toBe(0);
    expect(bed.telegram.requests("getFile").at(-1)).toMatchObject({
      status: 400,
      description: "Bad Request: file is too big",
    });
    expect(lastText(bed, fay.chat.id)).toContain(
      "That image file is too big; I can look at images up to 1.0 MB.",
    );
  });

  it("exports a conversation with its images inside, and an import stores them under the importer's own prefix", async () => {
    // Arrange
    const gus = person(9107, "Gus");
    await say(bed, ada, "/export");
    const exported = bed.telegram.documents(ada.chat.id).at(-1);
    const doc = JSON.parse(exported?.content.toString() ?? "{}") as Omit<
      ArchiveJson,
      "messages"
    > & {
      attachments: Record<string, { mime_type: string; data: string }>;
      messages: { images?: string[] }[];
    };
    const keys = doc.messages.flatMap((m) => m.images ?? []);

    // Assess the export: every image the messages name is inside, as base64
    expect(keys).toHaveLength(3);
    expect(Object.keys(doc.attachments).sort()).toEqual([...keys].sort());
    expect(Buffer.from(doc.attachments[keys[0] ?? ""]?.data ?? "", "base64")).toEqual(large);

    // Act: Gus imports it, resumes it and asks about the first photo
    bed.telegram.pushDocument(gus.user, gus.chat, {
      fileName: "session.json",
      content: exported?.content ?? "",
    });
    await invoke(bed);
    // Switching model starts a fresh conversation (number 1); the import is number 2.
    await say(bed, gus, ["/model llava", "/resume 2", "Tell me more about it"]);

    // Assess: Gus's copies are under his prefix, and the follow-up sends them to the model
    const gusKeys = await s3Keys(bed, `${gus.user.id}/model_llava/images/`);
    expect(gusKeys).toHaveLength(3);
    expect(gusKeys.every((k) => /\/import-\d+-1\.(jpg|png)$/.test(k))).toBe(true);
    expect(repliesTo(bed, gus).join("\n")).toContain("Imported a conversation with llava");
    expect(repliesTo(bed, gus).join("\n")).toContain("Resumed your llava conversation");
    const sent =
      chatBodies(bed)
        .at(-1)
        ?.messages.flatMap((m) => imagesOf(m)) ?? [];
    expect(sent.length).toBeGreaterThan(0);
    expect(sent).toContainEqual(png(5_000));
  });

  it("an imported file cannot reach someone else's image by naming its key", async () => {
    // Arrange: a file naming Ada's image key, without the image itself
    const hal = person(9108, "Hal");
    const [adaKey] = await s3Keys(bed, `${ada.user.id}/model_llava/images/`);
    await say(bed, ada, "/export");
    const doc = JSON.parse(
      bed.telegram.documents(ada.chat.id).at(-1)?.content.toString() ?? "{}",
    ) as Record<string, unknown> & { messages: { images?: string[] }[] };
    const forged = {
      ...doc,
      attachments: {},
      messages: doc.messages.map((m) => (m.images ? { ...m, images: [adaKey] } : m)),
    };

    // Act
    bed.telegram.pushDocument(hal.user, hal.chat, {
      fileName: "forged.json",
      content: JSON.stringify(forged),
    });
    await invoke(bed);
    await say(bed, hal, ["/model llava", "/resume 2", "What was on the photo?"]);

    // Assess: imported, without images; nothing of Ada's reached the model for Hal
    expect(repliesTo(bed, hal).join("\n")).toContain("Imported a conversation with llava");
    expect(repliesTo(bed, hal).join("\n")).toContain("Resumed your llava conversation");
    expect(lastPrompt(bed)?.content).toBe("What was on the photo?");
    expect(await s3Keys(bed, `${hal.user.id}/model_llava/images/`)).toEqual([]);
    expect(
      chatBodies(bed)
        .at(-1)
        ?.messages.flatMap((m) => m.images ?? []),
    ).toEqual([]);
  });
});
