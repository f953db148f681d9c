import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { DynamoAccessStore } from "../../handler/adapters/dynamo-access.js";
import { AccessControl } from "../../handler/app/access/access-control.js";
import type { AddressedMessage } from "../../handler/app/intake/addressing.js";
import type { AccessState, AccessStore } from "../../handler/app/ports.js";
import { createLogger } from "../../handler/log.js";
import { AwsEmulators } from "../harness/aws-emulators.js";

/**
 * The owner claim against the real table rules (dynalite), made deterministic:
 * both processes read "no owner yet" before either claims, the interleaving a
 * race produces only sometimes. Only the claim's condition keeps one owner.
 */
describe("closed by default: the owner claim holds when two processes both saw no owner", () => {
  let aws: AwsEmulators;
  beforeAll(async () => {
    aws = await AwsEmulators.start();
  });
  afterAll(() => aws.close());

  /** A store whose reads of the access item all wait until `reads` of them have been made. */
  function afterBothRead(store: AccessStore, reads: number): AccessStore {
    let waiting = 0;
    let release = () => {};
    const together = new Promise<void>((resolve) => {
      release = resolve;
    });
    return {
      get: async (): Promise<AccessState> => {
        const state = await store.get();
        if (++waiting >= reads) release();
        await together;
        return state;
      },
      claimOwner: (userId, now) => store.claimOwner(userId, now),
      allow: (userId) => store.allow(userId),
    };
  }

  const firstMessage = (userId: number): AddressedMessage => ({
    updateId: userId,
    receivedAt: 0,
    messageId: 1,
    userId,
    chatId: userId,
    isGroup: false,
    user: { id: userId },
    incoming: { kind: "text", text: "am I first?" },
  });

  it("lets exactly one of them own the bot, and the other is refused", async () => {
    // Arrange: two processes of one bot, each with its own AccessControl
    const shared = afterBothRead(new DynamoAccessStore(aws.db, aws.table, 4242), 2);
    const settings = {
      access: { kind: "owner" as const },
      adminUserIds: new Set<number>(),
      now: () => new Date(),
    };
    const log = createLogger({ level: "error", secrets: [], write: () => {} });
    const [one, two] = [
      new AccessControl(shared, settings, log),
      new AccessControl(shared, settings, log),
    ];

    // Act
    const decisions = await Promise.all([
      one.decide(firstMessage(11)),
      two.decide(firstMessage(22)),
    ]);

    // Assert
    expect([...decisions].sort()).toEqual(["claimed", "refused"]);
    const owner = decisions[0] === "claimed" ? 11 : 22;
    expect((await new DynamoAccessStore(aws.db, aws.table, 4242).get()).ownerId).toBe(owner);
  });

  it("a later claim never replaces the owner", async () => {
    // Arrange
    const store = new DynamoAccessStore(aws.db, aws.table, 4343);
    await store.claimOwner(31, new Date());

    // Act
    const after = await store.claimOwner(32, new Date());

    // Assert
    expect(after).toBe(31);
    expect((await store.get()).ownerId).toBe(31);
  });
});
