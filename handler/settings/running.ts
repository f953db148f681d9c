import * as z from "zod";
import { int, setting } from "../setting-kinds.js";

/** Settings: how an invoke runs: answers at once, retries before giving up. Rows of the one table in `handler/settings.ts`. */
export const RUNNING_SETTINGS = {
  MAX_CONCURRENCY: setting(
    {
      type: "number",
      description:
        "Chats answered at once per invoke: the Ollama servers' OLLAMA_PARALLEL added up (one server: its OLLAMA_NUM_PARALLEL).",
    },
    4,
    (d) => int(d, 1, 64),
  ),
  MAX_UPDATE_ATTEMPTS: setting(
    {
      type: "number",
      description: "Attempts before an update that keeps failing is given up (its user is told).",
    },
    3,
    (d) => int(d, 1, 20),
  ),
};

/** What an invoke logs; the table's last row, as before the rows were split into files. */
export const LOGGING_SETTINGS = {
  LOG_LEVEL: setting({ type: "string", description: "debug, info, warn or error." }, "info", (d) =>
    z.enum(["debug", "info", "warn", "error"]).default(d),
  ),
};
