import * as z from "zod";
import { int, setting } from "../setting-kinds.js";

/** Settings: where conversations are kept and when they move on: the table and bucket, the live window, idling out, retention. Rows of the one table in `handler/settings.ts`. */
export const SESSION_SETTINGS = {
  SESSIONS_TABLE: setting(
    {
      type: "string",
      stackSets: true,
      description: "DynamoDB table; the stack sets it to the table it creates.",
    },
    "ChatbotSessions",
    (d) => z.string().min(3).default(d),
  ),
  ARCHIVE_BUCKET: setting(
    {
      type: "string",
      stackSets: true,
      description: "S3 bucket for archives; the stack sets it to the bucket it creates.",
    },
    "chatbot-conversations",
    (d) => z.string().min(3).default(d),
  ),
  SESSION_IDLE_MINUTES: setting(
    {
      type: "number",
      description: "An active session untouched this long is archived to S3 and closed.",
    },
    60,
    (d) => {
      const rule = "must be a number of minutes above 0 (0.5 is half a minute)";
      return z.coerce.number(rule).positive(rule).default(d);
    },
  ),
  ARCHIVE_AFTER_MESSAGES: setting(
    {
      type: "number",
      description: "Messages kept in DynamoDB before older ones move to the S3 archive.",
    },
    40,
    (d) => int(d, 4, 1000),
  ),
  ARCHIVE_AFTER_KB: setting(
    {
      type: "number",
      description: "Size of the DynamoDB message window (KiB) before older messages move to S3.",
    },
    64,
    (d) => int(d, 4, 300),
  ),
  CONTEXT_MESSAGES: setting(
    {
      type: "number",
      description: "Most recent messages sent to the model (then trimmed to fit num_ctx).",
    },
    20,
    (d) => int(d, 2, 200),
  ),
  CLOSED_SESSION_RETENTION_DAYS: setting(
    {
      type: "number",
      description:
        "Days closed-session metadata stays in DynamoDB (TTL; 0 keeps it). S3 keeps the transcript.",
    },
    365,
    (d) => {
      const rule = "must be a number of days, 0 or more (0 keeps it)";
      return z.coerce.number(rule).min(0, rule).default(d);
    },
  ),
};
