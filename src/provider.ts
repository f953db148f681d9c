import { AwsProvider } from "@cdktf/provider-aws/lib/provider/index.js";
import type { Construct } from "constructs";
import type { StackSettings } from "./settings.js";

/**
 * The hashicorp/aws versions the synthesized stack accepts. The bindings
 * (`@cdktf/provider-aws` 21.22.1) were generated from 6.25.0; 6.29.0 added
 * `invoked_via_function_url`, which AWS needs for public function URLs.
 */
export const AWS_PROVIDER_VERSION = ">= 6.29.0, < 7.0.0";

/**
 * Every AWS service the stack (and its function) talks to; LocalStack gets an
 * endpoint for each. SSM is the function's (a token in Parameter Store), KMS
 * decrypts it there.
 */
export const STACK_SERVICES = [
  "cloudwatch",
  "dynamodb",
  "events",
  "iam",
  "kms",
  "lambda",
  "logs",
  "s3",
  "sns",
  "sqs",
  "ssm",
  "sts",
] as const;

/**
 * The AWS provider. For LocalStack: fake `test` credentials, no account or
 * metadata lookups, path-style S3 and every service at the LocalStack edge.
 * For AWS: the standard credential chain and nothing else.
 */
export function awsProvider(scope: Construct, settings: StackSettings): AwsProvider {
  if (settings.target === "aws") {
    return new AwsProvider(scope, "aws", {
      region: settings.region,
      defaultTags: [{ tags: { project: "telegram-ollama-chatbot" } }],
    });
  }
  const endpoint = settings.localstackEndpoint;
  return new AwsProvider(scope, "aws", {
    region: settings.region,
    accessKey: "test",
    secretKey: "test",
    skipCredentialsValidation: true,
    skipMetadataApiCheck: "true",
    skipRequestingAccountId: true,
    s3UsePathStyle: true,
    endpoints: [Object.fromEntries(STACK_SERVICES.map((s) => [s, endpoint]))],
    defaultTags: [{ tags: { project: "telegram-ollama-chatbot" } }],
  });
}
