import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { beforeAll, describe, expect, it } from "@jest/globals";
import { invoke, newGroup, newPerson, textsTo, userItems } from "../chat/support.js";
import { useFaultBed } from "./fault-bed.js";

describe("closed by default: with ALLOWED_USER_IDS unset the first private user owns the bot", () => {
  const { bed } = useFaultBed({ env: { STREAM_REPLIES: "false" } });
  let closed: Record<string, string>;
  const ada = newPerson("Ada");
  const bob = newPerson("Bob");
  const group = newGroup();

  beforeAll(() => {
    const { ALLOWED_USER_IDS: _open, ...env } = bed.env;
    closed = env;
  });

  const accessItem = async () =>
    (
      await bed.aws.db.send(
        new GetCommand({
          TableName: bed.aws.table,
          Key: { PK: `BOT#${bed.env.TELEGRAM_BOT_TOKEN?.split(":")[0]}`, SK: "ACCESS" },
          ConsistentRead: true,
        }),
      )
    ).Item;

  it("a group message cannot claim the bot; the first private message does, and is answered", async () => {
    // Arrange
    bed.telegram.pushText(bob.user, group, "/start");
    bed.telegram.pushText(ada.user, ada.chat, "hello bot");

    // Act
    const { logs } = await bed.captureLogs(() => invoke(bed, closed));

    // Assess
    expect(textsTo(bed, group.id)).toEqual([
      expect.stringContaining(`Ask its owner to add your Telegram user id, ${bob.user.id}`),
    ]);
    const [claimed, answer] = textsTo(bed, ada.chat.id);
    expect(claimed).toContain("You are now this bot's owner");
    expect(answer).toBe("You said: hello bot");
    expect((await accessItem())?.owner_id).toBe(ada.user.id);
    expect(logs.filter((l) => l.includes("bot claimed"))).toHaveLength(1);
    expect(logs.find((l) => l.includes("bot claimed"))).toContain(String(ada.user.id));
  });

  it("everyone else is refused with their id and how to be let in; the model never sees them", async () => {
    // Arrange
    const chatsBefore = bed.ollama.chats().length;
    bed.telegram.pushText(bob.user, bob.chat, "hi, me too?");
    bed.telegram.pushText(bob.user, bob.chat, "please?");
    bed.telegram.pushText(ada.user, ada.chat, "still mine?");

    // Act
    const { logs } = await bed.captureLogs(() => invoke(bed, closed));

    // Assess
    expect(textsTo(bed, bob.chat.id)).toEqual([
      `Sorry, this is a private bot and you're not on its list of users. Ask its owner to add your Telegram user id, ${bob.user.id}: they can send /allow ${bob.user.id} to the bot.`,
    ]);
    expect(bed.ollama.chats().length).toBe(chatsBefore + 1);
    expect(textsTo(bed, ada.chat.id).at(-1)).toBe("You said: still mine?");
    expect(await userItems(bed, bob.user.id)).toEqual([]);
    expect(logs.filter((l) => l.includes("bot claimed"))).toEqual([]);
  });

  it("only an admin (the owner by default) can /allow; an allowed user is served, in groups too", async () => {
    // Arrange
    bed.telegram.pushText(bob.user, bob.chat, `/allow ${bob.user.id}`);
    bed.telegram.pushText(ada.user, ada.chat, `/allow ${bob.user.id}`);

    // Act
    await invoke(bed, closed);
    bed.telegram.pushText(bob.user, group, "@ollama_test_bot now?", {
      entities: [{ type: "mention", offset: 0, length: 16 }],
    });
    await invoke(bed, closed);

    // Assess
    expect(textsTo(bed, bob.chat.id).at(-1)).toContain("Sorry, this is a private bot");
    expect(textsTo(bed, ada.chat.id).at(-1)).toBe(`✅ User ${bob.user.id} may use this bot now.`);
    expect(textsTo(bed, group.id).at(-1)).toBe("You said: now?");
  });

  it("ADMIN_USER_IDS names the admins instead of the owner", async () => {
    // Arrange
    const cy = newPerson("Cy");
    bed.telegram.pushText(ada.user, ada.chat, `/allow ${cy.user.id}`);

    // Act
    await invoke(bed, { ...closed, ADMIN_USER_IDS: String(bob.user.id) });

    // Assess
    expect(textsTo(bed, ada.chat.id).at(-1)).toBe("Only the bot's admins can use /allow.");
  });
});

describe("closed by default: two first messages at once make one owner", () => {
  const { bed } = useFaultBed({ env: { STREAM_REPLIES: "false" } });

  it("the conditional claim lets exactly one of them own the bot; the other is refused", async () => {
    // Arrange: different chats are answered in parallel, so both claims race
    const { ALLOWED_USER_IDS: _open, ...closed } = bed.env;
    const people = [newPerson("Eve"), newPerson("Fay"), newPerson("Gus")];
    for (const p of people) bed.telegram.pushText(p.user, p.chat, "am I first?");

    // Act
    await invoke(bed, closed);

    // Assess
    const owners = people.filter((p) =>
      textsTo(bed, p.chat.id).some((t) => t.includes("You are now this bot's owner")),
    );
    const refused = people.filter((p) =>
      textsTo(bed, p.chat.id).some((t) => t.startsWith("Sorry, this is a private bot")),
    );
    expect(owners).toHaveLength(1);
    expect(refused).toHaveLength(2);
    expect(bed.ollama.chats()).toHaveLength(1);
  });
});
