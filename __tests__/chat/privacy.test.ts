import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "@jest/globals";
import { type TestBed, useTestBed } from "../harness/bed.js";
import { invoke, newGroup, newPerson, sessionItems, textsTo } from "./support.js";

/** `@ollama_test_bot` as a mention entity at offset 0. */
const mention = { entities: [{ type: "mention", offset: 0, length: 16 }] };

/** Everything the model was sent, as one string per request. */
const prompts = (bed: TestBed): string[] =>
  bed.ollama.chats().map((r) => r.body.messages.map((m) => m.content).join("\n"));

describe("conversations belong to a chat: nothing private reaches a group", () => {
  const bed = useTestBed({
    env: { STREAM_REPLIES: "false" },
    telegram: { flood: false },
    resetOllama: true,
  });

  it("never sends, shows, lists or exports the private conversation in a group", async () => {
    // Arrange: a private conversation with a secret and a persona
    const ada = newPerson("Ada");
    const group = newGroup();
    bed.telegram.pushText(ada.user, ada.chat, "/system You are a pirate");
    bed.telegram.pushText(ada.user, ada.chat, "my bank PIN is 4711");
    await invoke(bed);
    bed.ollama.reset();

    // Act: the same user talks to the bot in a group
    bed.telegram.pushText(ada.user, group, "@ollama_test_bot what do you know about me?", mention);
    bed.telegram.pushText(ada.user, group, "/history");
    bed.telegram.pushText(ada.user, group, "/system");
    bed.telegram.pushText(ada.user, group, "/sessions");
    bed.telegram.pushText(ada.user, group, "/export");
    bed.telegram.pushText(ada.user, group, "/archives");
    await invoke(bed);

    // Assess
    expect(prompts(bed)).toHaveLength(1);
    expect(prompts(bed)[0]).not.toContain("4711");
    expect(prompts(bed)[0]).not.toContain("pirate");
    const shown = textsTo(bed, group.id).join("\n");
    expect(shown).not.toContain("4711");
    expect(shown).not.toContain("pirate");
    expect(shown).toContain("No system prompt is set");
    expect(shown).toMatch(/1\. .*llama3.*active/);
    expect(shown).not.toMatch(/2\. /);
    const [file] = bed.telegram.documents(group.id);
    expect(file?.content.toString("utf8")).toContain("what do you know about me?");
    expect(file?.content.toString("utf8")).not.toContain("4711");
  });

  it("keeps the private conversation going after the group one", async () => {
    // Arrange
    const bob = newPerson("Bob");
    const group = newGroup();
    bed.telegram.pushText(bob.user, bob.chat, "remember the word avocado");
    await invoke(bed);
    bed.telegram.pushText(bob.user, group, "@ollama_test_bot remember the word kiwi", mention);
    await invoke(bed);
    bed.ollama.reset();

    // Act
    bed.telegram.pushText(bob.user, bob.chat, "which word?");
    bed.telegram.pushText(bob.user, group, "@ollama_test_bot which word?", mention);
    await invoke(bed);

    // Assess: each chat's model call carries that chat's history only
    const [privateCall, groupCall] = prompts(bed);
    expect(privateCall).toContain("avocado");
    expect(privateCall).not.toContain("kiwi");
    expect(groupCall).toContain("kiwi");
    expect(groupCall).not.toContain("avocado");
    const items = await sessionItems(bed, bob.user.id);
    expect(items.map((i) => i.group_chat_id ?? "private").sort()).toEqual(
      [group.id, "private"].sort(),
    );
  });

  it("/resume in a group offers only that group's archived conversations", async () => {
    // Arrange: one archived conversation in private, one in the group
    const cy = newPerson("Cy");
    const group = newGroup();
    bed.telegram.pushText(cy.user, cy.chat, "private plans");
    bed.telegram.pushText(cy.user, cy.chat, "/end");
    bed.telegram.pushText(cy.user, group, "@ollama_test_bot group plans", mention);
    bed.telegram.pushText(cy.user, group, "/end");
    await invoke(bed);
    bed.ollama.reset();

    // Act: number 2 would be the private one if the list were shared
    bed.telegram.pushText(cy.user, group, "/resume 2");
    bed.telegram.pushText(cy.user, group, "/resume 1");
    bed.telegram.pushText(cy.user, group, "@ollama_test_bot and now?", mention);
    await invoke(bed);

    // Assess
    const shown = textsTo(bed, group.id);
    expect(shown.some((t) => t.startsWith("Usage: /resume"))).toBe(true);
    expect(prompts(bed)[0]).toContain("group plans");
    expect(prompts(bed)[0]).not.toContain("private plans");
  });

  it("treats a session stored before chats were told apart as the private chat's", async () => {
    // Arrange: the old layout — profile keyed by model only, session without a group,
    // its chat_id the group where it was last used
    const dee = newPerson("Dee");
    const group = newGroup();
    const sessionId = "20260101T000000Z-abcdef";
    const now = new Date().toISOString();
    await bed.aws.db.send(
      new PutCommand({
        TableName: bed.aws.table,
        Item: {
          PK: `USER#${dee.user.id}`,
          SK: `MODEL#llama3#SESSION#${sessionId}`,
          item_type: "session",
          user_id: dee.user.id,
          chat_id: group.id,
          model_name: "llama3",
          session_id: sessionId,
          status: "active",
          conversation: [{ seq: 1, role: "user", content: "old secret", ts: now }],
          message_count: 1,
          archived_count: 0,
          created_at: now,
          last_message_ts: now,
          ollama_endpoint: bed.ollama.url,
          options: {},
          prompt_tokens: 0,
          completion_tokens: 0,
          total_ms: 0,
          replies: 0,
          last_update_id: 0,
          user: { id: dee.user.id },
          GSI1PK: "ACTIVE",
          GSI1SK: now,
        },
      }),
    );
    await bed.aws.db.send(
      new PutCommand({
        TableName: bed.aws.table,
        Item: {
          PK: `USER#${dee.user.id}`,
          SK: "PROFILE",
          item_type: "profile",
          user_id: dee.user.id,
          chat_id: group.id,
          current_model: "llama3",
          active_sessions: { llama3: sessionId },
          last_update_id: 0,
          user: { id: dee.user.id },
        },
      }),
    );

    // Act
    bed.telegram.pushText(dee.user, group, "@ollama_test_bot hi", mention);
    bed.telegram.pushText(dee.user, dee.chat, "hi again");
    await invoke(bed);

    // Assess
    const [groupCall, privateCall] = prompts(bed);
    expect(groupCall).not.toContain("old secret");
    expect(privateCall).toContain("old secret");
  });
});
