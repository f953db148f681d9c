import { Metrics as Powertools } from "@aws-lambda-powertools/metrics";
import type { MetricsSnapshot } from "./invoke-metrics.js";
import { DISTRIBUTIONS, METRICS_NAMESPACE } from "./metric-names.js";

/** What an EMF document says besides the metrics. */
export interface EmfContext {
  /** The `service` dimension: the function's name. */
  readonly service: string;
  /** How the invoke came in (`poll`, `webhook`, `queued`): a property, searchable in Logs Insights. */
  readonly mode: string;
  /** The invoke's request id, a property, to find its log lines. */
  readonly requestId: string;
}

let emf: Powertools | undefined;

/**
 * Samples of one metric per document. The format allows 100; Powertools
 * publishes by itself when a metric reaches 100 and drops the properties of
 * what follows, so each document here stays one short of it.
 */
const SAMPLES_PER_DOCUMENT = 99;

/**
 * Writes a snapshot to stdout as CloudWatch embedded metric format, through
 * Powertools for AWS Lambda's Metrics (which validates names and units):
 * one JSON line, or a few when a distribution has more samples than one
 * document takes. CloudWatch Logs turns the lines into metrics with no API
 * call. Mode and request id are properties, never dimensions: each dimension
 * value is a custom metric of its own, billed monthly.
 */
export function publishEmf(snapshot: MetricsSnapshot, context: EmfContext): void {
  emf ??= new Powertools({ namespace: METRICS_NAMESPACE, serviceName: context.service });
  const samples = Object.entries(snapshot.samples);
  const documents = Math.max(
    1,
    ...samples.map(([, values]) => Math.ceil(values.length / SAMPLES_PER_DOCUMENT)),
  );
  for (let doc = 0; doc < documents; doc++) {
    emf.addMetadata("mode", context.mode);
    emf.addMetadata("requestId", context.requestId);
    if (doc === 0)
      for (const [name, value] of Object.entries(snapshot.counters))
        emf.addMetric(name, "Count", value);
    for (const [name, values] of samples) {
      const unit = DISTRIBUTIONS[name as keyof typeof DISTRIBUTIONS].unit;
      const from = doc * SAMPLES_PER_DOCUMENT;
      for (const value of values.slice(from, from + SAMPLES_PER_DOCUMENT))
        emf.addMetric(name, unit, value);
    }
    emf.publishStoredMetrics();
  }
}
