import { describe, expect, it } from "@jest/globals";
import { useTestBed } from "../harness/bed.js";
import { coldStart } from "../harness/lambda.js";
import { envWith, lastText, newPerson, say } from "./support.js";

/**
 * OLLAMA_KEEP_ALIVE in every form Ollama documents: its FAQ writes the server
 * variable as seconds (`-1`, `3600`), and `keep_alive` reads a JSON number as
 * seconds and a string as a Go duration. The fake Ollama reads it the same way
 * (a string without a unit is a 400), so an answer arriving shows Ollama took it.
 */
describe("OLLAMA_KEEP_ALIVE as Ollama reads keep_alive", () => {
  const bed = useTestBed({ resetOllama: true });

  const cases: readonly [setting: string, sent: number | string][] = [
    ["-1", -1],
    ["3600", 3600],
    ["0", 0],
    ["5m", "5m"],
    ["-1s", "-1s"],
    ["24h", "24h"],
    ["1h30m", "1h30m"],
    ["300ms", "300ms"],
  ];
  for (const [setting, sent] of cases)
    it(`OLLAMA_KEEP_ALIVE=${setting} goes out as ${JSON.stringify(sent)} and the answer arrives`, async () => {
      // Arrange
      const kim = newPerson("Kim");

      // Act
      await say(bed, kim, "hello", envWith(bed, { OLLAMA_KEEP_ALIVE: setting }));

      // Assess
      expect(bed.ollama.chats().map((r) => r.body.keep_alive)).toEqual([sent]);
      expect(lastText(bed, kim.chat.id)).toBe("You said: hello");
    });

  it("leaves the default (5m) when the setting is empty, as in a .env line without a value", async () => {
    // Act
    await say(bed, newPerson("Lee"), "hi", envWith(bed, { OLLAMA_KEEP_ALIVE: "" }));

    // Assess
    expect(bed.ollama.chats().map((r) => r.body.keep_alive)).toEqual(["5m"]);
  });

  for (const setting of ["forever", "5 m", "1d", "-1m5", "10x", "99999999999h"])
    it(`refuses OLLAMA_KEEP_ALIVE=${setting} at start, with the rule`, async () => {
      // Arrange
      const env = envWith(bed, { OLLAMA_KEEP_ALIVE: setting });

      // Act
      const started = coldStart(env).invoke({});

      // Assess
      await expect(started).rejects.toThrow(
        `OLLAMA_KEEP_ALIVE (${JSON.stringify(setting)}) must be a number of seconds (3600; negative`,
      );
      await expect(started).rejects.toThrow("or a Go duration with a unit");
      expect(bed.ollama.chats()).toEqual([]);
    });
});
