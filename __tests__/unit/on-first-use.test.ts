import { describe, expect, it } from "@jest/globals";
import { onFirstUse } from "../../handler/adapters/on-first-use.js";

describe("onFirstUse (parts of the bundle loaded when first needed)", () => {
  it("loads once, however many calls come, including calls made while the load runs", async () => {
    // Arrange
    let loads = 0;
    const part = onFirstUse(async () => {
      loads += 1;
      return { loaded: loads };
    });

    // Act
    const [a, b] = await Promise.all([part(), part()]);
    const c = await part();

    // Assert
    expect(loads).toBe(1);
    expect(a).toBe(b);
    expect(c).toBe(a);
  });

  it("does not keep a failed load: the next call tries again", async () => {
    // Arrange
    let loads = 0;
    const part = onFirstUse(async () => {
      loads += 1;
      if (loads === 1) throw new Error("Cannot find module './s3-archive.js'");
      return "loaded";
    });

    // Act
    const first = await part().catch((err: unknown) => String(err));
    const second = await part();

    // Assert
    expect(first).toMatch(/Cannot find module/);
    expect(second).toBe("loaded");
    expect(loads).toBe(2);
  });
});
