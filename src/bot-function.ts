import { resolve } from "node:path";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule/index.js";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target/index.js";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js";
import type { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table/index.js";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function/index.js";
import { LambdaFunctionEventInvokeConfig } from "@cdktf/provider-aws/lib/lambda-function-event-invoke-config/index.js";
import { LambdaFunctionUrl } from "@cdktf/provider-aws/lib/lambda-function-url/index.js";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission/index.js";
import type { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket/index.js";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue/index.js";
import { AssetType, Fn, TerraformAsset } from "cdktf";
import { Construct } from "constructs";
import type { AwsContext } from "./aws-context.js";
import {
  namedParameters,
  parameterSettingOf,
  type SecretParameters,
  secretParameterStatements,
} from "./secret-parameters.js";
import { failedUpdatesQueueName } from "./settings.js";
import type { BotVariables } from "./variables.js";

/**
 * The DynamoDB actions the handler makes (no Scan, no transactions). DeleteItem
 * removes idle sessions that never got a message, conditionally.
 */
export const TABLE_ACTIONS = [
  "dynamodb:GetItem",
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
  "dynamodb:Query",
] as const;
/** The S3 actions on archive objects. */
export const OBJECT_ACTIONS = ["s3:GetObject", "s3:PutObject"] as const;
/** ListBucket lets a missing archive read as 404 instead of 403. */
export const BUCKET_ACTIONS = ["s3:ListBucket"] as const;
/** Webhook mode: a delivery queues the update for an asynchronous invoke of the same function. */
export const SELF_INVOKE_ACTIONS = ["lambda:InvokeFunction"] as const;
/** Lambda sends a queued event that failed every attempt to the failure queue with the function's role. */
export const FAILURE_QUEUE_ACTIONS = ["sqs:SendMessage"] as const;
/** Lambda's default for asynchronous events: the first attempt and two retries. */
export const ASYNC_RETRIES = 2;
/** What the runtime needs to write its own logs. */
export const LOG_ACTIONS = ["logs:CreateLogStream", "logs:PutLogEvents"] as const;

/** Settings of {@link TelegramBotFunction}. */
export interface TelegramBotFunctionProps {
  /** Function name; the log group is `/aws/lambda/<name>`. @default "telegram-bot" (via `StackSettings`) */
  readonly functionName: string;
  /** Folder with the esbuild bundle (`index.js` exporting `handler`). */
  readonly bundleDir: string;
  /** The sessions table: its name goes into the environment, its ARN into the policy. */
  readonly table: DynamodbTable;
  /** The archive bucket: its name goes into the environment, its ARN into the policy. */
  readonly bucket: S3Bucket;
  /** The handler settings (Terraform variables) passed as environment variables. */
  readonly variables: BotVariables;
  /** Adds a function URL for Telegram webhooks (and the self-invoke grant). @default false */
  readonly webhook: boolean;
  /** Invokes the function every minute from EventBridge. @default false */
  readonly schedule: boolean;
}

/**
 * The `telegram-bot` Lambda with its log group, execution role and a policy
 * that grants only what the handler does, on only the table (and its index),
 * the bucket (and its objects) and its own log group.
 */
export class TelegramBotFunction extends Construct {
  readonly fn: LambdaFunction;
  readonly logGroup: CloudwatchLogGroup;
  readonly role: IamRole;
  /** Set when webhook mode is on. */
  readonly url?: LambdaFunctionUrl;
  /** Webhook mode: where queued events that failed every attempt go (their updates stay in the ledger too). */
  readonly failureQueue?: SqsQueue;
  /** Set when the EventBridge rule invokes the function every minute. */
  readonly schedule?: CloudwatchEventRule;
  /** The function's environment, name → value or Terraform expression. */
  private readonly environment: Record<string, string>;
  private readonly functionName: string;

  constructor(scope: Construct, id: string, props: TelegramBotFunctionProps) {
    super(scope, id);
    const { table, bucket, variables } = props;
    this.functionName = props.functionName;

    this.logGroup = new CloudwatchLogGroup(this, "logs", {
      name: `/aws/lambda/${props.functionName}`,
      retentionInDays: variables.logRetentionDays.numberValue,
    });

    const assumeRole = new DataAwsIamPolicyDocument(this, "assume-role", {
      statement: [
        {
          actions: ["sts:AssumeRole"],
          principals: [{ type: "Service", identifiers: ["lambda.amazonaws.com"] }],
        },
      ],
    });
    this.role = new IamRole(this, "role", {
      name: `${props.functionName}-execution`,
      assumeRolePolicy: assumeRole.json,
    });
    const access = new DataAwsIamPolicyDocument(this, "access", {
      statement: [
        {
          sid: "Sessions",
          actions: [...TABLE_ACTIONS],
          resources: [table.arn, `${table.arn}/index/*`],
        },
        { sid: "ArchiveObjects", actions: [...OBJECT_ACTIONS], resources: [`${bucket.arn}/*`] },
        { sid: "ArchiveBucket", actions: [...BUCKET_ACTIONS], resources: [bucket.arn] },
        { sid: "OwnLogs", actions: [...LOG_ACTIONS], resources: [`${this.logGroup.arn}:*`] },
      ],
    });
    new IamRolePolicy(this, "policy", {
      name: `${props.functionName}-least-privilege`,
      role: this.role.id,
      policy: access.json,
    });

    this.environment = {
      ...variables.environment,
      SESSIONS_TABLE: table.name,
      ARCHIVE_BUCKET: bucket.bucket,
    };
    const bundle = new TerraformAsset(this, "bundle", {
      path: resolve(props.bundleDir),
      type: AssetType.ARCHIVE,
    });
    this.fn = new LambdaFunction(this, "function", {
      functionName: props.functionName,
      description: "Polls Telegram and answers with Ollama; sessions in DynamoDB, archives in S3.",
      runtime: "nodejs22.x",
      handler: "index.handler",
      filename: bundle.path,
      sourceCodeHash: Fn.filebase64sha256(bundle.path),
      role: this.role.arn,
      timeout: variables.timeoutSeconds.numberValue,
      memorySize: variables.memoryMb.numberValue,
      // No fixed reservation: one would fail on accounts with the default quota of 10 and,
      // in webhook mode, queue every chat behind every other. The DynamoDB leases keep
      // polling single and each chat ordered; the variable caps cost for those who want it.
      reservedConcurrentExecutions: variables.reservedConcurrency.numberValue,
      // No --enable-source-maps: it makes every cold start read and parse the bundle's
      // source map (about a fifth more load time, docs/performance.md), and the bot logs
      // errors without stacks. The maps ship in the asset for an operator who sets it.
      environment: { variables: { ...this.environment } },
      // The runtime writes to /aws/lambda/<name>; create it first so retention applies.
      dependsOn: [this.logGroup],
    });

    if (props.webhook) {
      this.url = new LambdaFunctionUrl(this, "webhook-url", {
        functionName: this.fn.functionName,
        // Telegram cannot sign requests; the handler checks TELEGRAM_WEBHOOK_SECRET instead.
        authorizationType: "NONE",
      });
      this.allowPublicUrl();
      // Answering Telegram at once means handing the update to an asynchronous invoke of itself.
      // Lambda drops an event that failed every attempt unless it has somewhere to send it.
      this.failureQueue = new SqsQueue(this, "failed-updates", {
        name: failedUpdatesQueueName(props.functionName),
        messageRetentionSeconds: 14 * 86_400,
        sqsManagedSseEnabled: true,
      });
      const selfInvoke = new DataAwsIamPolicyDocument(this, "self-invoke", {
        statement: [
          {
            sid: "QueueWebhookUpdates",
            actions: [...SELF_INVOKE_ACTIONS],
            resources: [this.fn.arn],
          },
          {
            sid: "FailedUpdates",
            actions: [...FAILURE_QUEUE_ACTIONS],
            resources: [this.failureQueue.arn],
          },
        ],
      });
      const selfInvokePolicy = new IamRolePolicy(this, "self-invoke-policy", {
        name: `${props.functionName}-self-invoke`,
        role: this.role.id,
        policy: selfInvoke.json,
      });
      new LambdaFunctionEventInvokeConfig(this, "queued-updates", {
        functionName: this.fn.functionName,
        maximumRetryAttempts: ASYNC_RETRIES,
        destinationConfig: { onFailure: { destination: this.failureQueue.arn } },
        // Lambda checks the role's sqs:SendMessage when the destination is set: without
        // this order Terraform creates both at once and the first apply can fail with
        // InvalidParameterValueException.
        dependsOn: [selfInvokePolicy],
      });
    }
    if (props.schedule) this.schedule = this.addSchedule(props.functionName);
  }

  /**
   * Makes the function read secrets from SSM SecureStrings at cold start
   * instead of its environment: sets each `…_PARAMETER` variable (the name
   * only; the secret's own variable must not be set, see `BotVariables`'s
   * `fromParameters`) and, together, the grant that reads exactly those
   * parameters ({@link secretParameterStatements}).
   */
  readSecretsFromSsm(parameters: SecretParameters, context: AwsContext): void {
    const entries = namedParameters(parameters);
    if (entries.length === 0) return;
    for (const [setting, name] of entries) {
      delete this.environment[setting];
      this.environment[parameterSettingOf(setting)] = name;
    }
    this.fn.putEnvironment({ variables: { ...this.environment } });
    const read = new DataAwsIamPolicyDocument(this, "secret-parameters", {
      statement: secretParameterStatements(parameters, context),
    });
    new IamRolePolicy(this, "secret-parameters-policy", {
      name: `${this.functionName}-secret-parameters`,
      role: this.role.id,
      policy: read.json,
    });
  }

  /**
   * The two resource-policy statements AWS requires before a URL with auth type
   * NONE answers anything but 403: `lambda:InvokeFunctionUrl` for everyone (only
   * through an auth-NONE URL) and, for URLs created since October 2025 (all URLs
   * since 2026-11-01), `lambda:InvokeFunction` for everyone, only via the URL.
   * The `@cdktf/provider-aws` 21.22.1 bindings predate `invoked_via_function_url`
   * (terraform-provider-aws 6.29.0), so it is set as an override; the stack
   * requires that provider version (see `chatbot-stack.ts`).
   */
  private allowPublicUrl(): void {
    const url = this.url;
    if (!url) return;
    const functionName = this.fn.functionName;
    new LambdaPermission(this, "url-invoke-url", {
      statementId: "AllowPublicFunctionUrl",
      action: "lambda:InvokeFunctionUrl",
      functionName,
      principal: "*",
      functionUrlAuthType: "NONE",
      dependsOn: [url],
    });
    const viaUrl = new LambdaPermission(this, "url-invoke-function", {
      statementId: "AllowPublicInvokeViaFunctionUrl",
      action: "lambda:InvokeFunction",
      functionName,
      principal: "*",
      dependsOn: [url],
    });
    viaUrl.addOverride("invoked_via_function_url", true);
  }

  private addSchedule(functionName: string): CloudwatchEventRule {
    const rule = new CloudwatchEventRule(this, "schedule", {
      name: `${functionName}-poll`,
      description: "Polls Telegram every minute.",
      scheduleExpression: "rate(1 minute)",
    });
    new CloudwatchEventTarget(this, "schedule-target", { rule: rule.name, arn: this.fn.arn });
    new LambdaPermission(this, "schedule-permission", {
      statementId: "AllowEventBridgePoll",
      action: "lambda:InvokeFunction",
      functionName: this.fn.functionName,
      principal: "events.amazonaws.com",
      sourceArn: rule.arn,
    });
    return rule;
  }
}
