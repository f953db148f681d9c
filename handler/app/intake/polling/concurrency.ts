import { ConflictError } from "../../../errors.js";

/** Runs `work` on every item with at most `limit` at a time. */
export async function runPool<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      if (item !== undefined) await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Wraps a state write so that at most one runs at a time; requests made while
 * one runs fold into one more write (the poller saves its progress this way).
 * `flush` waits for the writes asked for so far; it rethrows a lost lease.
 */
export function coalescedWriter(write: () => Promise<void>): {
  request(): void;
  flush(): Promise<void>;
} {
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
