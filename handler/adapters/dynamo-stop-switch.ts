import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type { RunningWork, StopOutcome, StopSwitch, WorkRef } from "../app/stop/stop-switch.js";
import type { Logger } from "../log.js";
import { isConditionFailure } from "./dynamo-items.js";

/** How often running work looks for a stop request: the press takes effect within this. */
export const STOP_CHECK_MS = 1_000;
/** A marker outlives its work at most this long (an invoke that died before it could end it). */
const MARKER_TTL_SECONDS = 20 * 60;

/**
 * {@link StopSwitch} across invokes (webhook mode, where a press arrives as
 * another delivery, answered by another invoke). Running work is one item per
 * chat and user, `PK=BOT#<bot id>#STOP`, `SK=c<chat>#u<user>`, holding its id;
 * a stop request sets `stop` on it with a conditional write (no item, or
 * another id: the work already finished), and the work reads the item every
 * {@link STOP_CHECK_MS} while it runs.
 */
export class DynamoStopSwitch implements StopSwitch {
  private readonly pk: string;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    botId: number,
    private readonly log: Logger,
  ) {
    this.pk = `BOT#${botId}#STOP`;
  }

  async start(ref: WorkRef): Promise<RunningWork> {
    const Key = { PK: this.pk, SK: `c${ref.chatId}#u${ref.userId}` };
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          ...Key,
          work_id: ref.workId,
          expires_at: Math.floor(Date.now() / 1000) + MARKER_TTL_SECONDS,
        },
      }),
    );
    const controller = new AbortController();
    let checking: Promise<void> = Promise.resolve();
    let ended = false;
    const timer = setInterval(() => {
      checking = this.db
        .send(new GetCommand({ TableName: this.table, Key, ConsistentRead: true }))
        .then((res) => {
          if (res.Item?.stop === true && res.Item.work_id === ref.workId)
            controller.abort(new Error("stopped by the user"));
        })
        .catch((err: unknown) =>
          // A missed check is caught up by the next one.
          this.log.warn("could not check for a stop request", { error: String(err) }),
        );
    }, STOP_CHECK_MS);
    timer.unref?.();
    return {
      signal: controller.signal,
      get stopped() {
        return controller.signal.aborted;
      },
      end: async () => {
        if (ended) return;
        ended = true;
        clearInterval(timer);
        await checking;
        try {
          await this.db.send(
            new DeleteCommand({
              TableName: this.table,
              Key,
              ConditionExpression: "work_id = :id",
              ExpressionAttributeValues: { ":id": ref.workId },
            }),
          );
        } catch (err) {
          // Newer work took the slot: it is not ours to delete. Anything else lapses by TTL.
          if (!isConditionFailure(err))
            this.log.warn("could not clear the stop marker; it expires by itself", {
              error: String(err),
            });
        }
      },
    };
  }

  async request(chatId: number, userId: number, workId?: number): Promise<StopOutcome> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { PK: this.pk, SK: `c${chatId}#u${userId}` },
          UpdateExpression: "SET #stop = :yes",
          ConditionExpression:
            workId === undefined
              ? "attribute_exists(PK)"
              : "attribute_exists(PK) AND work_id = :id",
          ExpressionAttributeNames: { "#stop": "stop" },
          ExpressionAttributeValues: {
            ":yes": true,
            ...(workId === undefined ? {} : { ":id": workId }),
          },
        }),
      );
      return "stopping";
    } catch (err) {
      if (isConditionFailure(err)) return "finished";
      throw err;
    }
  }
}
