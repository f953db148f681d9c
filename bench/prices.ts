/**
 * AWS list prices (USD) the cost section multiplies the measured figures by:
 * us-east-1, on-demand, no free tier applied, as AWS publishes them on each
 * service's pricing page (aws.amazon.com/<service>/pricing/, read 2026-12).
 * Other regions cost up to about a third more; set your own here to compare.
 */
export const PRICES = {
  region: "us-east-1",
  /** Lambda, x86_64 (the function's architecture): per GB-second, and per million requests. */
  lambdaPerGbSecond: 0.0000166667,
  lambdaPerMillionRequests: 0.2,
  /** DynamoDB on demand, Standard table class: per million write / read request units; storage per GB-month. */
  dynamodbPerMillionWriteUnits: 0.625,
  dynamodbPerMillionReadUnits: 0.125,
  dynamodbPerGbMonth: 0.25,
  /** S3 Standard: PUT (and LIST) and GET per 1,000 requests; storage per GB-month (first 50 TB). */
  s3PerThousandPuts: 0.005,
  s3PerThousandGets: 0.0004,
  s3PerGbMonth: 0.023,
  /** CloudWatch Logs (Standard class): ingestion per GB; storage per GB-month (compressed). */
  logsPerGbIngested: 0.5,
  logsPerGbMonth: 0.03,
  /** CloudWatch: a custom metric, a standard-resolution alarm, a dashboard, each per month. */
  metricPerMonth: 0.3,
  alarmPerMonth: 0.1,
  dashboardPerMonth: 3,
} as const;

/**
 * CloudWatch's always-free allowance per account (10 custom metrics, 10
 * alarms, 3 dashboards of up to 50 metrics each): the bot fits in it when the
 * account has nothing else there.
 */
export const CLOUDWATCH_FREE = { metrics: 10, alarms: 10, dashboards: 3 } as const;
