import { type DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { Update } from "@grammyjs/types";
import type { PollerState, PollerStateStore } from "../app/ports.js";
import { ConflictError } from "../errors.js";
import { isConditionFailure } from "./dynamo-items.js";

/**
 * {@link PollerStateStore} as one item per bot (`PK=BOT#<bot id>`, `SK=POLLER`):
 * the lease, the offset and the pending updates live together, so taking the
 * lease also reads them (one call), a save renews the lease, and a poller that
 * lost its lease cannot overwrite them.
 */
export class DynamoPollerStateStore implements PollerStateStore {
  private readonly key: { PK: string; SK: string };
  /** Ids of the pending updates as last written (or read) by this poller. */
  private written = new Set<number>();

  /**
   * @param leaseMs how long a save (without release) extends the lease: the
   * poller saves at least that often while it holds it.
   */
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    botId: number,
    private readonly leaseMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.key = { PK: `BOT#${botId}`, SK: "POLLER" };
  }

  async acquire(owner: string, leaseUntil: number, now: number): Promise<PollerState | undefined> {
    try {
      const res = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.key,
          UpdateExpression: "SET lease_owner = :me, lease_until = :until",
          ConditionExpression:
            "attribute_not_exists(lease_until) OR lease_until < :now OR lease_owner = :me",
          ExpressionAttributeValues: { ":me": owner, ":until": leaseUntil, ":now": now },
          ReturnValues: "ALL_NEW",
        }),
      );
      const item = res.Attributes ?? {};
      const offset = typeof item.next_offset === "number" ? item.next_offset : 0;
      const done: number[] = Array.isArray(item.done) ? item.done.map(Number) : [];
      const stored = typeof item.pending === "string" ? (JSON.parse(item.pending) as Update[]) : [];
      this.written = new Set(stored.map((u) => u.update_id));
      // The stored list may still hold updates finished since it was written: below the
      // offset, or listed in `done` (see save).
      const finished = new Set(done);
      return {
        offset,
        ...(typeof item.fetched_to === "number" ? { fetchedTo: item.fetched_to } : {}),
        pending: stored.filter((u) => u.update_id >= offset && !finished.has(u.update_id)),
        done,
        attempts: (item.attempts ?? {}) as Record<string, number>,
        webhookNoticed: item.webhook_noticed === true,
        commandsVersion:
          typeof item.commands_version === "string" ? item.commands_version : undefined,
      };
    } catch (err) {
      if (isConditionFailure(err)) return undefined;
      throw err;
    }
  }

  async save(owner: string, state: PollerState, release: boolean): Promise<void> {
    // Finishing updates only shrinks the pending list, and a reader drops finished ones
    // (below the offset or in `done`): the list is rewritten only when it gained updates,
    // so a save after each few answers stays small.
    const pending = state.pending ?? [];
    const grown = pending.some((u) => !this.written.has(u.update_id));
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.key,
          UpdateExpression:
            "SET next_offset = :offset, fetched_to = :fetched, done = :done, attempts = :attempts, webhook_noticed = :wn" +
            (grown ? ", pending = :pending" : "") +
            (state.commandsVersion ? ", commands_version = :cv" : "") +
            (release ? " REMOVE lease_owner, lease_until" : ", lease_until = :until"),
          ConditionExpression: "lease_owner = :me",
          ExpressionAttributeValues: {
            ":offset": state.offset,
            ":fetched": state.fetchedTo ?? state.offset,
            ":wn": state.webhookNoticed === true,
            // One string, not a list of maps: the updates are stored and read back whole, never queried.
            ...(grown ? { ":pending": JSON.stringify(pending) } : {}),
            ":done": [...state.done],
            ":attempts": { ...state.attempts },
            ":me": owner,
            ...(release ? {} : { ":until": this.now() + this.leaseMs }),
            ...(state.commandsVersion ? { ":cv": state.commandsVersion } : {}),
          },
        }),
      );
    } catch (err) {
      if (isConditionFailure(err))
        throw new ConflictError("Another poller took the lease.", { cause: err });
      throw err;
    }
    if (grown) this.written = new Set(pending.map((u) => u.update_id));
  }
}
