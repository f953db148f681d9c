import { describe, expect, it } from "@jest/globals";
import { COUNTERS, DISTRIBUTIONS } from "../../handler/metrics/metric-names.js";
import { readSettings } from "../../src/settings.js";
import { only, type SynthJson, synth } from "./synth.js";

const ARN_OF_TOPIC = /^\$\{aws_sns_topic\..+\.arn\}$/;

/** The alarms of a synthesized stack, by name. */
const alarmsOf = (json: SynthJson) =>
  Object.fromEntries(
    Object.values(json.resource.aws_cloudwatch_metric_alarm ?? {}).map((a) => [
      String(a.alarm_name),
      a,
    ]),
  );

describe("alarms on AWS (DEPLOY_TARGET=aws)", () => {
  const polling = synth({ target: "aws", schedule: true, alarmEmail: "owner@example.com" });
  const webhook = synth({ target: "aws", webhook: true, schedule: true });

  it("alarms on errors, throttles and given-up updates (> 0 in 5 minutes), a quiet bot being no alarm", () => {
    const alarms = alarmsOf(polling.json);
    const overFiveMinutes = {
      statistic: "Sum",
      period: 300,
      evaluation_periods: 1,
      comparison_operator: "GreaterThanThreshold",
      threshold: 0,
      treat_missing_data: "notBreaching",
    };
    expect(alarms["telegram-bot-errors"]).toMatchObject({
      namespace: "AWS/Lambda",
      metric_name: "Errors",
      dimensions: { FunctionName: "telegram-bot" },
      ...overFiveMinutes,
    });
    expect(alarms["telegram-bot-throttles"]).toMatchObject({
      namespace: "AWS/Lambda",
      metric_name: "Throttles",
      dimensions: { FunctionName: "telegram-bot" },
      ...overFiveMinutes,
    });
    // The bot's own metric, under the one dimension its EMF documents carry.
    expect(alarms["telegram-bot-updates-given-up"]).toMatchObject({
      namespace: "TelegramOllamaBot",
      metric_name: "UpdatesGivenUp",
      dimensions: { service: "telegram-bot" },
      ...overFiveMinutes,
    });
  });

  it("alarms when a polling schedule invoked nothing for 10 minutes, no data counting as none", () => {
    expect(alarmsOf(polling.json)["telegram-bot-schedule-silent"]).toMatchObject({
      namespace: "AWS/Lambda",
      metric_name: "Invocations",
      dimensions: { FunctionName: "telegram-bot" },
      statistic: "Sum",
      period: 600,
      evaluation_periods: 1,
      comparison_operator: "LessThanThreshold",
      threshold: 1,
      treat_missing_data: "breaching",
    });
    // With a webhook, deliveries invoke the function too and would hide a silent schedule.
    expect(alarmsOf(webhook.json)["telegram-bot-schedule-silent"]).toBeUndefined();
    expect(alarmsOf(synth({ target: "aws" }).json)["telegram-bot-schedule-silent"]).toBeUndefined();
  });

  it("alarms on the failed-updates queue's oldest message in webhook mode", () => {
    expect(alarmsOf(webhook.json)["telegram-bot-failed-updates-waiting"]).toMatchObject({
      namespace: "AWS/SQS",
      metric_name: "ApproximateAgeOfOldestMessage",
      dimensions: { QueueName: only(webhook.json.resource, "aws_sqs_queue").name },
      statistic: "Maximum",
      comparison_operator: "GreaterThanThreshold",
      threshold: 0,
    });
    expect(alarmsOf(polling.json)["telegram-bot-failed-updates-waiting"]).toBeUndefined();
  });

  it("with ALARM_EMAIL, subscribes it to one SNS topic that every alarm notifies", () => {
    const topic = only(polling.json.resource, "aws_sns_topic");
    expect(topic).toEqual({ name: "telegram-bot-alarms" });
    expect(only(polling.json.resource, "aws_sns_topic_subscription")).toEqual({
      topic_arn: expect.stringMatching(ARN_OF_TOPIC),
      protocol: "email",
      endpoint: "owner@example.com",
    });
    const alarms = Object.values(alarmsOf(polling.json));
    expect(alarms).toHaveLength(4);
    for (const alarm of [...alarms, ...Object.values(alarmsOf(webhook.json))])
      expect(alarm.alarm_actions).toEqual([expect.stringMatching(ARN_OF_TOPIC)]);
    expect(polling.json.output.alarm_topic_arn?.value).toMatch(ARN_OF_TOPIC);
  });

  it("without ALARM_EMAIL, subscribes nobody and outputs the topic's ARN to subscribe to", () => {
    expect(webhook.json.resource.aws_sns_topic_subscription).toBeUndefined();
    expect(webhook.json.output.alarm_topic_arn).toEqual({
      value: expect.stringMatching(ARN_OF_TOPIC),
      description: expect.stringContaining("subscribe"),
    });
  });

  it("lets only CloudWatch publish to the topic, for this account's alarms of this bot", () => {
    const policy = only(polling.json.resource, "aws_sns_topic_policy");
    const doc = Object.entries(polling.json.data.aws_iam_policy_document ?? {}).find(([name]) =>
      String(policy.policy).includes(name),
    )?.[1];
    expect(doc?.statement).toEqual([
      {
        sid: "CloudWatchAlarmsOfThisBot",
        actions: ["sns:Publish"],
        principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
        resources: [expect.stringMatching(ARN_OF_TOPIC)],
        condition: [
          {
            test: "StringEquals",
            variable: "aws:SourceAccount",
            values: [expect.stringMatching(/aws_caller_identity.+account_id/)],
          },
          {
            test: "ArnLike",
            variable: "aws:SourceArn",
            values: [expect.stringMatching(/:cloudwatch:.+:alarm:telegram-bot-\*$/)],
          },
        ],
      },
    ]);
  });

  it("refuses an ALARM_EMAIL that is no address, at synth, naming the setting", () => {
    expect(() => readSettings((_c, env) => ({ ALARM_EMAIL: "owner at example" })[env])).toThrow(
      /ALARM_EMAIL "owner at example" is not an e-mail address/,
    );
    expect(readSettings((_c, env) => ({ ALARM_EMAIL: "a@b.io" })[env]).alarmEmail).toBe("a@b.io");
    expect(readSettings(() => undefined).alarmEmail).toBeUndefined();
  });

  it("creates the alarms and the topic for LocalStack too", () => {
    const { json } = synth();
    expect(only(json.resource, "aws_sns_topic").name).toBe("telegram-bot-alarms");
    expect(Object.keys(alarmsOf(json)).sort()).toEqual([
      "telegram-bot-errors",
      "telegram-bot-throttles",
      "telegram-bot-updates-given-up",
    ]);
  });
});

describe("dashboard", () => {
  const { json } = synth({ target: "aws", webhook: true });
  const dashboard = only(json.resource, "aws_cloudwatch_dashboard");
  const body = JSON.parse(String(dashboard.dashboard_body)) as {
    widgets: {
      type: string;
      properties: { title: string; region: string; stat: string; metrics: unknown[][] };
    }[];
  };
  const widget = (title: RegExp) => body.widgets.find((w) => title.test(w.properties.title));
  /** `[namespace, name, …]` of each line of a widget, with its statistic. */
  const lines = (title: RegExp) =>
    (widget(title)?.properties.metrics ?? []).map((m) => {
      const options = m.find((x) => typeof x === "object") as { stat?: string } | undefined;
      return `${String(m[0])}/${String(m[1])} ${options?.stat ?? widget(title)?.properties.stat}`;
    });

  it("is named after the function and shows its region's metrics", () => {
    expect(dashboard.dashboard_name).toBe("telegram-bot");
    expect(json.output.dashboard_name).toBeDefined();
    for (const w of body.widgets) expect(w.properties.region).toBe("us-east-1");
  });

  it("graphs answers, model latency p50/p95, tokens, errors and given up, Lambda duration and concurrency, DynamoDB capacity", () => {
    const bot = "TelegramOllamaBot";
    expect(lines(/Answers/)).toEqual([
      `${bot}/AnswersSent Sum`,
      `${bot}/MessagesRefusedByLimits Sum`,
    ]);
    expect(lines(/latency/)).toEqual([
      `${bot}/ModelFirstTokenMs p50`,
      `${bot}/ModelFirstTokenMs p95`,
      `${bot}/ModelAnswerMs p50`,
      `${bot}/ModelAnswerMs p95`,
    ]);
    expect(lines(/Tokens/)).toEqual([`${bot}/PromptTokens Sum`, `${bot}/AnswerTokens Sum`]);
    expect(lines(/Errors/)).toEqual([
      "AWS/Lambda/Errors Sum",
      "AWS/Lambda/Throttles Sum",
      `${bot}/UpdatesGivenUp Sum`,
      "AWS/SQS/ApproximateNumberOfMessagesVisible Maximum",
    ]);
    expect(lines(/duration/)).toEqual([
      "AWS/Lambda/Duration p50",
      "AWS/Lambda/Duration p95",
      "AWS/Lambda/Duration Maximum",
    ]);
    expect(lines(/concurrency/)).toEqual([
      "AWS/Lambda/ConcurrentExecutions Maximum",
      "AWS/Lambda/Invocations Sum",
    ]);
    expect(lines(/DynamoDB/)).toEqual([
      "AWS/DynamoDB/ConsumedReadCapacityUnits Sum",
      "AWS/DynamoDB/ConsumedWriteCapacityUnits Sum",
    ]);
  });

  it("reads only metrics the bot publishes, under its one dimension", () => {
    const published = new Set([...Object.keys(COUNTERS), ...Object.keys(DISTRIBUTIONS)]);
    const botLines = body.widgets
      .flatMap((w) => w.properties.metrics)
      .filter((m) => m[0] === "TelegramOllamaBot");
    expect(botLines.length).toBeGreaterThan(0);
    for (const m of botLines) {
      expect(published.has(String(m[1]))).toBe(true);
      expect(m.slice(2, 4)).toEqual(["service", "telegram-bot"]);
    }
  });
});
