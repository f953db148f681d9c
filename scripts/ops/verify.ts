/**
 * `npm run verify`: the design document's verification, by SDK: the bucket,
 * table, function and log group exist, with counts of sessions and archives.
 * Exits 1 when anything is missing.
 */
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DescribeTableCommand, DynamoDBClient, paginateScan } from "@aws-sdk/client-dynamodb";
import { GetFunctionCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { HeadBucketCommand, paginateListObjectsV2, S3Client } from "@aws-sdk/client-s3";
import {
  clientConfig,
  explain,
  type Io,
  processIo,
  runIfMain,
  type Target,
  targetFromEnv,
} from "./lib.js";

/** One verified fact. */
export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** The clients verify talks to (injectable for tests). */
export interface VerifyClients {
  readonly dynamo: DynamoDBClient;
  readonly s3: S3Client;
  readonly lambda: LambdaClient;
  readonly logs: CloudWatchLogsClient;
}

async function check(name: string, target: Target, fn: () => Promise<string>): Promise<Check> {
  try {
    return { name, ok: true, detail: await fn() };
  } catch (err) {
    const e = explain(err, target);
    const detail =
      e instanceof Error
        ? `${e.name === "OperatorError" ? "" : `${e.name}: `}${e.message}`
        : String(e);
    return { name, ok: false, detail };
  }
}

/**
 * Runs every check. Counting sessions scans the table: fine for an operator's
 * occasional check, never done by the bot itself.
 */
export async function verify(clients: VerifyClients, target: Target): Promise<Check[]> {
  return Promise.all([
    check(`bucket ${target.bucketName}`, target, async () => {
      await clients.s3.send(new HeadBucketCommand({ Bucket: target.bucketName }));
      let archives = 0;
      for await (const page of paginateListObjectsV2(
        { client: clients.s3 },
        { Bucket: target.bucketName },
      ))
        archives += (page.Contents ?? []).filter((o) => o.Key?.endsWith(".json")).length;
      return `${archives} archived session${archives === 1 ? "" : "s"}`;
    }),
    check(`table ${target.tableName}`, target, async () => {
      const { Table } = await clients.dynamo.send(
        new DescribeTableCommand({ TableName: target.tableName }),
      );
      const keys = (Table?.KeySchema ?? []).map((k) => k.AttributeName).join("/");
      let active = 0;
      let closed = 0;
      const pages = paginateScan(
        { client: clients.dynamo },
        {
          TableName: target.tableName,
          FilterExpression: "begins_with(SK, :session)",
          ProjectionExpression: "#status",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":session": { S: "MODEL#" } },
        },
      );
      for await (const page of pages)
        for (const item of page.Items ?? []) {
          if (item.status?.S === "active") active++;
          else closed++;
        }
      return `${Table?.TableStatus ?? "?"}, keys ${keys}, ${active} active and ${closed} closed sessions`;
    }),
    check(`function ${target.functionName}`, target, async () => {
      const { Configuration: c } = await clients.lambda.send(
        new GetFunctionCommand({ FunctionName: target.functionName }),
      );
      return `${c?.Runtime ?? "?"}, ${c?.State ?? "?"}, timeout ${c?.Timeout ?? "?"} s, ${c?.MemorySize ?? "?"} MB`;
    }),
    check(`log group /aws/lambda/${target.functionName}`, target, async () => {
      const name = `/aws/lambda/${target.functionName}`;
      const { logGroups } = await clients.logs.send(
        new DescribeLogGroupsCommand({ logGroupNamePrefix: name }),
      );
      const group = logGroups?.find((g) => g.logGroupName === name);
      if (!group)
        throw Object.assign(new Error("not found"), { name: "ResourceNotFoundException" });
      return `retention ${group.retentionInDays ?? "∞"} days`;
    }),
  ]);
}

/** `✔ name — detail` lines; one line when every check failed for the same reason (LocalStack down). */
export function formatChecks(checks: readonly Check[]): string[] {
  const [first] = checks;
  if (first && checks.length > 1 && checks.every((c) => !c.ok && c.detail === first.detail))
    return [`✖ ${first.detail}`];
  return checks.map((c) => `${c.ok ? "✔" : "✖"} ${c.name} — ${c.detail}`);
}

/** Entry point (exported for tests). */
export async function main(env = process.env, io: Io = processIo): Promise<number> {
  const target = targetFromEnv(env);
  const config = { ...clientConfig(target), maxAttempts: 1 };
  const clients: VerifyClients = {
    dynamo: new DynamoDBClient(config),
    s3: new S3Client({ ...config, forcePathStyle: true }),
    lambda: new LambdaClient(config),
    logs: new CloudWatchLogsClient(config),
  };
  io.err(`Verifying the stack on ${target.endpoint ?? `AWS ${target.region}`}…`);
  try {
    const checks = await verify(clients, target);
    for (const line of formatChecks(checks)) io.out(line);
    return checks.every((c) => c.ok) ? 0 : 1;
  } finally {
    for (const c of Object.values(clients)) c.destroy();
  }
}

runIfMain(import.meta, () => main());
