/**
 * A jest test sequencer that runs the test files in a random order, to show that no file
 * depends on another having run before it (shared ports, tables, buckets, module state):
 *
 *   npm test -- --testSequencer=./scripts/shuffled-test-order.js
 *
 * The order comes from a seed, printed first, so a failing order can be replayed with
 * `TEST_ORDER_SEED=<seed>`. `npm test` itself keeps jest's default order (slowest first),
 * which finishes soonest.
 */
import Sequencer from "@jest/test-sequencer";

/**
 * mulberry32: a small seeded generator, enough to shuffle a few dozen files reproducibly.
 * @param {number} seed
 */
function generator(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export default class ShuffledTestOrder extends Sequencer {
  /** @param {import("@jest/test-result").Test[]} tests */
  sort(tests) {
    const fromEnv = Number.parseInt(process.env.TEST_ORDER_SEED ?? "", 10);
    const seed = Number.isFinite(fromEnv) ? fromEnv : Math.floor(Math.random() * 2 ** 31);
    const next = generator(seed);
    const order = [...tests].sort((a, b) => a.path.localeCompare(b.path));
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    process.stderr.write(
      `Test files in shuffled order, seed ${seed} (replay: TEST_ORDER_SEED=${seed}):\n` +
        order.map((t, i) => `  ${i + 1}. ${t.path.slice(process.cwd().length + 1)}\n`).join(""),
    );
    return order;
  }
}
