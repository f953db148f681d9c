import {
  COUNTERS,
  type CounterName,
  DISTRIBUTIONS,
  type DistributionName,
} from "./metric-names.js";

/** Where the bot records what it did; read and emptied once per invoke. */
export interface Metrics {
  /** Adds `n` (default 1) to a counter. */
  count(name: CounterName, n?: number): void;
  /** Records one sample of a distribution (a duration, a token count). */
  observe(name: DistributionName, value: number): void;
}

/** What one invoke recorded: every counter (0 when untouched) and every distribution's samples. */
export interface MetricsSnapshot {
  readonly counters: Readonly<Record<CounterName, number>>;
  readonly samples: Readonly<Record<DistributionName, readonly number[]>>;
}

const counterNames = Object.keys(COUNTERS) as CounterName[];
const distributionNames = Object.keys(DISTRIBUTIONS) as DistributionName[];

/**
 * The process's {@link Metrics}, in memory: the Lambda entry takes them after
 * each invoke and writes one EMF document; `npm start` takes them after each
 * poll run and, at `LOG_LEVEL=debug`, logs a summary. Taking empties them, so
 * a long-running process holds one run's samples at most.
 */
export class InvokeMetrics implements Metrics {
  private counters = new Map<CounterName, number>();
  private samples = new Map<DistributionName, number[]>();

  count(name: CounterName, n = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + n);
  }

  observe(name: DistributionName, value: number): void {
    // A clock that stepped back or a server that sent no count is no sample.
    if (!Number.isFinite(value) || value < 0) return;
    const list = this.samples.get(name);
    if (list) list.push(value);
    else this.samples.set(name, [value]);
  }

  /** Everything recorded since the last call, and starts afresh. */
  take(): MetricsSnapshot {
    const snapshot: MetricsSnapshot = {
      counters: Object.fromEntries(
        counterNames.map((name) => [name, this.counters.get(name) ?? 0]),
      ) as Record<CounterName, number>,
      samples: Object.fromEntries(
        distributionNames.map((name) => [name, this.samples.get(name) ?? []]),
      ) as Record<DistributionName, number[]>,
    };
    this.counters = new Map();
    this.samples = new Map();
    return snapshot;
  }
}

/**
 * A snapshot in one log line's fields (`npm start` at debug): non-zero counters,
 * and for each distribution with samples its count and median.
 */
export function summarize(snapshot: MetricsSnapshot): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(snapshot.counters)) if (value > 0) out[name] = value;
  for (const [name, values] of Object.entries(snapshot.samples)) {
    if (values.length === 0) continue;
    const sorted = [...values].sort((a, b) => a - b);
    out[`${name}Count`] = values.length;
    out[`${name}Median`] = sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
  }
  return out;
}
