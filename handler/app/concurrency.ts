import { ConflictError } from "../errors.js";

/** At most one write in flight; requests made meanwhile fold into one more write. */
export function coalesce(write: () => Promise<void>): { request(): void; flush(): Promise<void> } {
  let running: Promise<void> | undefined;
  let dirty = false;
  let failure: unknown;
  const loop = async () => {
    while (dirty) {
      dirty = false;
      try {
        await write();
      } catch (err) {
        failure = err;
      }
    }
    running = undefined;
  };
  return {
    request() {
      dirty = true;
      running ??= loop();
    },
    async flush() {
      await running;
      if (failure instanceof ConflictError) throw failure;
    },
  };
}
