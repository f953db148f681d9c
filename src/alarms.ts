import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm/index.js";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic/index.js";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy/index.js";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription/index.js";
import { Construct } from "constructs";
import { METRICS_NAMESPACE, SERVICE_DIMENSION } from "../handler/metrics/metric-names.js";
import type { AwsContext } from "./aws-context.js";

/** Settings of {@link BotAlarms}. */
export interface BotAlarmsProps {
  /** The function's name: every alarm's name starts with it, and it is the bot's metrics' `service` dimension. */
  readonly functionName: string;
  /** Webhook mode's failed-updates queue, alarmed on its oldest message. @default none */
  readonly failureQueueName?: string;
  /**
   * The function polls on its schedule, with no webhook: alarmed when nothing
   * invoked it for 10 minutes. (With a webhook, deliveries invoke it too and
   * would hide a silent schedule.) @default false
   */
  readonly pollingSchedule?: boolean;
  /** Subscribed to the alarms' topic by e-mail (`ALARM_EMAIL`). @default none: subscribe to the topic's ARN, an output */
  readonly email?: string;
  /** Account and region, for the topic policy's conditions. */
  readonly context: AwsContext;
}

/** One alarm: a metric, how it is read, and what the owner should do. */
interface AlarmSpec {
  readonly id: string;
  readonly description: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
  readonly statistic: "Sum" | "Maximum";
  readonly periodSeconds: number;
  readonly comparison: "GreaterThanThreshold" | "LessThanThreshold";
  readonly threshold: number;
  /** How a period without data counts: no data from a quiet bot is fine, except for the schedule. */
  readonly missing: "notBreaching" | "breaching";
}

/** Every alarm looks at 5 minutes, except the schedule's (10 minutes without an invoke). */
const FIVE_MINUTES = 300;

/**
 * What tells the owner that the deployed bot needs them: CloudWatch alarms on
 * the function's errors and throttles, on updates given up (users left with
 * an apology instead of an answer), on webhook mode's failed-updates queue and
 * on a polling schedule that stopped, each notifying one SNS topic; with
 * `email`, that address is subscribed to it.
 */
export class BotAlarms extends Construct {
  /** The topic every alarm notifies. */
  readonly topic: SnsTopic;
  readonly alarms: readonly CloudwatchMetricAlarm[];

  constructor(scope: Construct, id: string, props: BotAlarmsProps) {
    super(scope, id);
    const { functionName, context } = props;
    this.topic = new SnsTopic(this, "topic", { name: `${functionName}-alarms` });
    this.allowAlarmsToPublish(functionName, context);
    if (props.email)
      new SnsTopicSubscription(this, "email", {
        topicArn: this.topic.arn,
        protocol: "email",
        endpoint: props.email,
      });
    this.alarms = alarmSpecs(props).map(
      (spec) =>
        new CloudwatchMetricAlarm(this, spec.id, {
          alarmName: `${functionName}-${spec.id}`,
          alarmDescription: spec.description,
          namespace: spec.namespace,
          metricName: spec.metricName,
          dimensions: spec.dimensions,
          statistic: spec.statistic,
          period: spec.periodSeconds,
          evaluationPeriods: 1,
          comparisonOperator: spec.comparison,
          threshold: spec.threshold,
          treatMissingData: spec.missing,
          alarmActions: [this.topic.arn],
        }),
    );
  }

  /**
   * The topic's policy: CloudWatch may publish, for this account's alarms of
   * this function only (`aws:SourceAccount`, `aws:SourceArn`: the service
   * principal cannot be used on another's behalf). The topic is not encrypted:
   * CloudWatch cannot publish to one encrypted with the AWS managed SNS key,
   * and an alarm's text is no secret.
   */
  private allowAlarmsToPublish(functionName: string, context: AwsContext): void {
    const policy = new DataAwsIamPolicyDocument(this, "publish", {
      statement: [
        {
          sid: "CloudWatchAlarmsOfThisBot",
          actions: ["sns:Publish"],
          principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
          resources: [this.topic.arn],
          condition: [
            { test: "StringEquals", variable: "aws:SourceAccount", values: [context.accountId] },
            {
              test: "ArnLike",
              variable: "aws:SourceArn",
              values: [context.arn("cloudwatch", `alarm:${functionName}-*`)],
            },
          ],
        },
      ],
    });
    new SnsTopicPolicy(this, "policy", { arn: this.topic.arn, policy: policy.json });
  }
}

/** The alarms `props` call for. */
function alarmSpecs(props: BotAlarmsProps): AlarmSpec[] {
  const fn = { FunctionName: props.functionName };
  const overFiveMinutes = {
    periodSeconds: FIVE_MINUTES,
    comparison: "GreaterThanThreshold",
    threshold: 0,
    missing: "notBreaching",
  } as const;
  const specs: AlarmSpec[] = [
    {
      id: "errors",
      description:
        "The function failed an invoke (crash, timeout or a bad setting) in the last 5 minutes: read its log group (npm run logs with DEPLOY_TARGET=aws).",
      namespace: "AWS/Lambda",
      metricName: "Errors",
      dimensions: fn,
      statistic: "Sum",
      ...overFiveMinutes,
    },
    {
      id: "throttles",
      description:
        "Lambda refused to run the function in the last 5 minutes: the account's concurrency is used up, or reserved_concurrency is too low.",
      namespace: "AWS/Lambda",
      metricName: "Throttles",
      dimensions: fn,
      statistic: "Sum",
      ...overFiveMinutes,
    },
    {
      id: "updates-given-up",
      description:
        "Updates were given up in the last 5 minutes (MAX_UPDATE_ATTEMPTS reached, or retrying cannot help): their users got an apology instead of an answer. npm run failed lists webhook ones; the log says why.",
      namespace: METRICS_NAMESPACE,
      metricName: "UpdatesGivenUp",
      dimensions: { [SERVICE_DIMENSION]: props.functionName },
      statistic: "Sum",
      ...overFiveMinutes,
    },
  ];
  if (props.failureQueueName)
    specs.push({
      id: "failed-updates-waiting",
      description:
        "A queued webhook update failed every attempt and waits in the failed-updates queue: npm run failed lists it, npm run failed -- --replay answers it.",
      namespace: "AWS/SQS",
      metricName: "ApproximateAgeOfOldestMessage",
      dimensions: { QueueName: props.failureQueueName },
      statistic: "Maximum",
      ...overFiveMinutes,
    });
  if (props.pollingSchedule)
    specs.push({
      id: "schedule-silent",
      description:
        "Nothing invoked the function for 10 minutes although its schedule should every minute: the EventBridge rule is disabled or may not invoke it. Nobody's messages are answered meanwhile.",
      namespace: "AWS/Lambda",
      metricName: "Invocations",
      dimensions: fn,
      statistic: "Sum",
      periodSeconds: 2 * FIVE_MINUTES,
      comparison: "LessThanThreshold",
      threshold: 1,
      // No invoke means no data point at all: that is the very thing to alarm on.
      missing: "breaching",
    });
  return specs;
}
