import { describe, expect, it } from "@jest/globals";
import { classifyFile } from "../../handler/app/media/file-kinds.js";
import { imageKey, sniffImageType } from "../../handler/app/media/image-keys.js";
import { pickPhotoSize } from "../../handler/app/media/photo.js";
import { CapabilityCache, type CapabilityLookup } from "../../handler/app/models/capabilities.js";

describe("media: choosing, naming and classifying", () => {
  it("picks the largest photo size that fits the limit, none when even the smallest is over", () => {
    // Prepare
    const sizes = [
      { fileId: "s", width: 90, height: 60, size: 1_000 },
      { fileId: "m", width: 320, height: 240, size: 20_000 },
      { fileId: "l", width: 1280, height: 960, size: 200_000 },
    ];

    // Act + Assess
    expect(pickPhotoSize(sizes, 200_000)?.fileId).toBe("l");
    expect(pickPhotoSize(sizes, 199_999)?.fileId).toBe("m");
    expect(pickPhotoSize(sizes, 999)).toBeUndefined();
  });

  it.each([
    ["notes.txt", undefined, "text"],
    ["README.md", "text/markdown", "text"],
    ["table.csv", "text/csv", "text"],
    ["config.yaml", "application/x-yaml", "text"],
    ["main.rs", "application/octet-stream", "text"],
    ["Dockerfile", undefined, "text"],
    ["data.json", "application/json", "json"],
    ["report.pdf", "application/pdf", "pdf"],
    ["scan", "application/pdf", "pdf"],
    ["photo.JPG", undefined, "image"],
    ["picture", "image/webp", "image"],
    ["logo.svg", "image/svg+xml", "text"],
    ["archive.zip", "application/zip", "unsupported"],
    ["movie.mp4", "video/mp4", "unsupported"],
    ["Memo 12.m4a", "audio/mp4", "audio"],
    ["note.OGG", undefined, "audio"],
    ["recording", "audio/mpeg", "audio"],
    ["talk.opus", "application/octet-stream", "audio"],
  ])("classifies %s (%s) as %s", (name, mime, kind) => {
    expect(classifyFile(name, mime)).toBe(kind);
  });

  it("recognises images from their first bytes, whatever the sender claimed", () => {
    expect(sniffImageType(Uint8Array.from([0xff, 0xd8, 0xff, 0xe1, 0]))).toBe("image/jpeg");
    expect(sniffImageType(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d]))).toBe("image/png");
    expect(sniffImageType(new TextEncoder().encode("RIFF\0\0\0\0WEBPVP8 "))).toBe("image/webp");
    expect(sniffImageType(new TextEncoder().encode("GIF89a"))).toBe("image/gif");
    expect(sniffImageType(new TextEncoder().encode("%PDF-1.4"))).toBeUndefined();
  });

  it("keys an image beside its conversation, model name made key-safe", () => {
    expect(
      imageKey(
        { userId: 42, model: "llava:13b", sessionId: "20261126T030000Z-abc123" },
        "777",
        "image/png",
      ),
    ).toBe("42/model_llava_13b/images/session_20261126T030000Z-abc123/777.png");
  });
});

describe("CapabilityCache.canSee", () => {
  /** A capability lookup that answers from `table` and counts the calls. */
  function gateway(table: Record<string, string[] | Error>) {
    const calls: string[] = [];
    const model: CapabilityLookup = async (name) => {
      calls.push(name);
      const answer = table[name];
      if (answer instanceof Error) throw answer;
      return answer ?? [];
    };
    return { calls, model };
  }

  it("asks /api/show once per model within the TTL, and again after it", async () => {
    // Prepare
    let now = 0;
    const { calls, model } = gateway({ llava: ["completion", "vision"], llama3: ["completion"] });
    const caps = new CapabilityCache(model, {
      now: () => new Date(now),
      ttlMs: 1_000,
    });

    // Act
    const first = [
      await caps.canSee("llava"),
      await caps.canSee("llama3"),
      await caps.canSee("llava"),
    ];
    now = 999;
    await caps.capabilitiesOf("llava");
    now = 1_000;
    await caps.capabilitiesOf("llava");

    // Assess
    expect(first).toEqual([true, false, true]);
    expect(calls).toEqual(["llava", "llama3", "llava"]);
  });

  it("does not cache a failed lookup", async () => {
    // Prepare
    const { calls, model } = gateway({ llava: new Error("connection refused") });
    const caps = new CapabilityCache(model, {
      now: () => new Date(),
    });

    // Act
    const results = await Promise.allSettled([caps.canSee("llava")]);
    await caps.canSee("llava").catch(() => undefined);

    // Assess
    expect(results[0]?.status).toBe("rejected");
    expect(calls).toEqual(["llava", "llava"]);
  });
});
