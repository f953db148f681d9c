import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard/index.js";
import { Construct } from "constructs";
import { METRICS_NAMESPACE, SERVICE_DIMENSION } from "../handler/metrics/metric-names.js";

/** Settings of {@link BotDashboard}. */
export interface BotDashboardProps {
  /** The function's name: the dashboard's name, the Lambda metrics' dimension and the bot metrics' `service`. */
  readonly functionName: string;
  /** The sessions table, for its consumed capacity. */
  readonly tableName: string;
  /** Region every widget reads (the provider's). */
  readonly region: string;
  /** Webhook mode's failed-updates queue, shown beside the errors. @default none */
  readonly failureQueueName?: string;
}

/** One line of a metric widget: namespace, name, dimension pairs, then its own options. */
type MetricLine = (string | Record<string, string>)[];

/** A graph on the dashboard. */
interface Widget {
  readonly title: string;
  readonly metrics: MetricLine[];
  /** Statistic of lines that name none. */
  readonly stat: string;
}

/**
 * The CloudWatch dashboard `<function name>`: answers and refusals, model
 * latency (p50 and p95 to the first token and to the whole answer), tokens,
 * errors and given-up updates, Telegram retries, Lambda duration and
 * concurrency, and the table's consumed capacity, five-minute points.
 */
export class BotDashboard extends Construct {
  readonly dashboard: CloudwatchDashboard;

  constructor(scope: Construct, id: string, props: BotDashboardProps) {
    super(scope, id);
    this.dashboard = new CloudwatchDashboard(this, "dashboard", {
      dashboardName: props.functionName,
      dashboardBody: JSON.stringify({ widgets: layout(widgets(props), props.region) }),
    });
  }
}

/** Lines of one namespace and dimension: a metric's name, and its own options (statistic, label). */
const metricOf =
  (namespace: string, dimension: string, value: string) =>
  (name: string, options: Record<string, string> = {}): MetricLine => [
    namespace,
    name,
    dimension,
    value,
    ...(Object.keys(options).length > 0 ? [options] : []),
  ];

function widgets(props: BotDashboardProps): Widget[] {
  const bot = metricOf(METRICS_NAMESPACE, SERVICE_DIMENSION, props.functionName);
  const lambda = metricOf("AWS/Lambda", "FunctionName", props.functionName);
  const table = metricOf("AWS/DynamoDB", "TableName", props.tableName);
  const percentiles = (name: string, label: string): MetricLine[] => [
    bot(name, { stat: "p50", label: `${label} p50` }),
    bot(name, { stat: "p95", label: `${label} p95` }),
  ];
  return [
    {
      title: "Answers sent and messages refused by daily limits",
      stat: "Sum",
      metrics: [bot("AnswersSent"), bot("MessagesRefusedByLimits")],
    },
    {
      title: "Model latency (ms)",
      stat: "p50",
      metrics: [
        ...percentiles("ModelFirstTokenMs", "first token"),
        ...percentiles("ModelAnswerMs", "whole answer"),
      ],
    },
    {
      title: "Tokens",
      stat: "Sum",
      metrics: [bot("PromptTokens"), bot("AnswerTokens")],
    },
    {
      title: "Errors and updates given up",
      stat: "Sum",
      metrics: [
        lambda("Errors"),
        lambda("Throttles"),
        bot("UpdatesGivenUp"),
        ...(props.failureQueueName
          ? [
              [
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                "QueueName",
                props.failureQueueName,
                { stat: "Maximum", label: "failed-updates queue" },
              ],
            ]
          : []),
      ],
    },
    {
      title: "Telegram retries and 429 waits",
      stat: "Sum",
      metrics: [
        bot("TelegramRetries"),
        bot("TelegramFloodWaitMs", { stat: "SampleCount", label: "429 waits" }),
      ],
    },
    {
      title: "Lambda duration (ms)",
      stat: "p50",
      metrics: [
        lambda("Duration", { stat: "p50", label: "p50" }),
        lambda("Duration", { stat: "p95", label: "p95" }),
        lambda("Duration", { stat: "Maximum", label: "max" }),
      ],
    },
    {
      title: "Lambda concurrency and invocations",
      stat: "Maximum",
      metrics: [lambda("ConcurrentExecutions"), lambda("Invocations", { stat: "Sum" })],
    },
    {
      title: "DynamoDB consumed capacity",
      stat: "Sum",
      metrics: [table("ConsumedReadCapacityUnits"), table("ConsumedWriteCapacityUnits")],
    },
  ];
}

/** Two graphs a row, 12 × 6 grid units each. */
function layout(list: readonly Widget[], region: string): object[] {
  return list.map((w, i) => ({
    type: "metric",
    x: (i % 2) * 12,
    y: Math.floor(i / 2) * 6,
    width: 12,
    height: 6,
    properties: {
      title: w.title,
      region,
      view: "timeSeries",
      stacked: false,
      period: 300,
      stat: w.stat,
      metrics: w.metrics,
    },
  }));
}
