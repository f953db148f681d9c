import type { Update } from "@grammyjs/types";
import type { PollerState } from "./ports.js";

/**
 * Tracks which updates of a batch are finished and derives the state to store:
 * the offset stops at the first unfinished update (so nothing is skipped), and
 * updates finished beyond it are remembered (so nothing is answered twice).
 */
export class BatchProgress {
  private readonly done: Set<number>;
  private readonly attempts: Record<string, number>;
  private readonly ids: number[];

  constructor(
    private readonly initial: PollerState,
    updates: readonly Update[],
  ) {
    this.done = new Set(initial.done);
    this.attempts = { ...initial.attempts };
    this.ids = updates.map((u) => u.update_id).sort((a, b) => a - b);
  }

  isDone(id: number): boolean {
    return this.done.has(id);
  }

  finish(id: number): void {
    this.done.add(id);
    delete this.attempts[String(id)];
  }

  fail(id: number): number {
    const n = (this.attempts[String(id)] ?? 0) + 1;
    this.attempts[String(id)] = n;
    return n;
  }

  snapshot(): PollerState {
    const pending = this.ids.find((id) => !this.done.has(id));
    const last = this.ids.at(-1);
    const offset =
      pending ??
      (last !== undefined ? Math.max(last + 1, this.initial.offset) : this.initial.offset);
    const attempts = Object.fromEntries(
      Object.entries(this.attempts).filter(([id]) => Number(id) >= offset),
    );
    return {
      ...this.initial,
      offset,
      done: [...this.done].filter((id) => id >= offset).sort((a, b) => a - b),
      attempts,
    };
  }
}
