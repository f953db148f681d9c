import { DynamoDBClient, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { BuildMiddleware } from "@smithy/types";

/**
 * SDK middleware the bot's DynamoDB calls run without. Each runs on every call
 * and, measured per `UpdateItem` with the network stubbed out, they were a
 * fifth of the SDK's own CPU (docs/performance.md):
 * - `loggerMiddleware` only writes to the client's logger, and the bot gives it none;
 * - `recursionDetectionMiddleware` copies the Lambda's X-Ray trace id into a header: the
 *   function has no active tracing, and DynamoDB is not a source of recursive invokes;
 * - `getUserAgentMiddleware` rebuilds the same user agent string on every call (only its
 *   feature tags change); {@link fixedUserAgent} sends the SDK's string, built once.
 */
export const SKIPPED_MIDDLEWARE = [
  "loggerMiddleware",
  "recursionDetectionMiddleware",
  "getUserAgentMiddleware",
] as const;

/** The document client the DynamoDB adapters share, built once per process. */
export function createDocumentClient(config: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  const client = new DynamoDBClient(config);
  for (const name of SKIPPED_MIDDLEWARE) client.middlewareStack.remove(name);
  client.middlewareStack.add(fixedUserAgent(client.config.defaultUserAgentProvider), {
    step: "build",
    name: "fixedUserAgent",
    priority: "low",
  });
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

/** What `defaultUserAgentProvider` yields: `[name, version?]` pairs. */
type UserAgentPairs = () => Promise<readonly (readonly [string, string?])[]>;

/**
 * Sets `User-Agent` to the SDK's own string (`aws-sdk-js/<version> … api/dynamodb#<version>`),
 * formatted as the SDK formats it and computed on the first call only, so CloudTrail
 * and AWS still see which SDK called.
 */
function fixedUserAgent<Input extends object, Output extends object>(
  pairs: UserAgentPairs,
): BuildMiddleware<Input, Output> {
  let value: Promise<string> | undefined;
  return (next) => async (args) => {
    value ??= pairs().then((list) => list.map(formatPair).join(" "));
    const request = args.request as { headers?: Record<string, string> };
    if (request.headers) request.headers["user-agent"] = await value;
    return next(args);
  };
}

/** `["aws-sdk-js", "3.1"]` → `aws-sdk-js/3.1`; `["os/linux", "6.1"]` → `os/linux#6.1` (the SDK's format). */
function formatPair([name, version]: readonly [string, string?]): string {
  // The SDK lower-cases service names: `api/DynamoDB` → `api/dynamodb`.
  const named = name.startsWith("api/") ? name.toLowerCase() : name;
  const safeName = named.replace(/[^!$%&'*+\-.^_`|~\w/]/g, "-");
  if (!version) return safeName;
  const safeVersion = version.replace(/[^!$%&'*+\-.^_`|~\w#]/g, "-");
  return `${safeName}${safeName.includes("/") ? "#" : "/"}${safeVersion}`;
}
