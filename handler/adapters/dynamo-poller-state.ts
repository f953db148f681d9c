import { type DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { Update } from "@grammyjs/types";
import type { PollerState, PollerStateStore, TakenUpdate } from "../app/ports.js";
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
      const stored = typeof item.pending === "string" ? readPending(item.pending) : [];
      this.written = new Set(stored.map((t) => t.update.update_id));
      // The stored list may still hold updates finished since it was written: below the
      // offset, or listed in `done` (see save).
      const finished = new Set(done);
      return {
        offset,
        ...(typeof item.fetched_to === "number" ? { fetchedTo: item.fetched_to } : {}),
        pending: stored.filter(
          (t) => t.update.update_id >= offset && !finished.has(t.update.update_id),
        ),
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
    // A reader drops the finished updates a stored list still holds (below the offset or in
    // `done`), so finishing updates needs no rewrite and a save after each few answers stays
    // small. The list is rewritten when it gained updates, or when it holds a finished one a
    // reader could not tell (a restart of Telegram's ids forgets the old sequence's `done`).
    const pending = state.pending ?? [];
    const ids = new Set(pending.map((t) => t.update.update_id));
    const finished = new Set(state.done);
    const grown =
      pending.some((t) => !this.written.has(t.update.update_id)) ||
      [...this.written].some((id) => !ids.has(id) && id >= state.offset && !finished.has(id));
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
    if (grown) this.written = ids;
  }
}

/**
 * The stored pending list: `{ update, receivedAt }` entries, or bare updates
 * as stored before received times were kept (read as taken on at 0).
 */
function readPending(json: string): TakenUpdate[] {
  const entries = JSON.parse(json) as (TakenUpdate | Update)[];
  return entries.map((e) => ("update_id" in e ? { update: e, receivedAt: 0 } : e));
}
