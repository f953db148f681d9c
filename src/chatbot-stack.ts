import { resolve } from "node:path";
import { App, TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { BotAlarms } from "./alarms.js";
import { AwsContext } from "./aws-context.js";
import { TelegramBotFunction } from "./bot-function.js";
import { BotDashboard } from "./dashboard.js";
import { plainTerraform } from "./plain-terraform.js";
import { AWS_PROVIDER_VERSION, awsProvider } from "./provider.js";
import { namedParameters } from "./secret-parameters.js";
import { checkWebhookSecret, failedUpdatesQueueName, type StackSettings } from "./settings.js";
import { ConversationArchive, SessionsTable } from "./storage.js";
import { BotVariables } from "./variables.js";

/** Settings of {@link ChatbotStack}. */
export interface ChatbotStackProps {
  /** Synth-time settings. @default `DEFAULT_SETTINGS` merged with context and environment by `readSettings` */
  readonly settings: StackSettings;
  /** Folder of the built handler bundle (`npm run build` writes `dist/handler`). */
  readonly bundleDir: string;
}

/**
 * The whole product: archive bucket, sessions table, the `telegram-bot` Lambda
 * with its role, policy and log group, its alarms and dashboard, and the
 * variables and outputs users work with.
 */
export class ChatbotStack extends TerraformStack {
  readonly archive: ConversationArchive;
  readonly sessions: SessionsTable;
  readonly bot: TelegramBotFunction;
  readonly alarms: BotAlarms;
  readonly dashboard: BotDashboard;

  constructor(scope: Construct, id: string, props: ChatbotStackProps) {
    super(scope, id);
    const { settings } = props;
    // A secret in SSM is checked by the function when it reads it, not here.
    if (settings.webhook && !settings.secretParameters.TELEGRAM_WEBHOOK_SECRET)
      checkWebhookSecret(settings.webhookSecret);
    awsProvider(this, settings);
    // `invoked_via_function_url` (function URL permissions) exists from 6.29.0 on; the
    // pinned bindings would otherwise ask Terraform for exactly 6.25.0.
    this.addOverride("terraform.required_providers.aws.version", AWS_PROVIDER_VERSION);
    const context = new AwsContext(this, "aws-context");
    const secrets = namedParameters(settings.secretParameters);
    const variables = new BotVariables(this, "variables", {
      webhook: settings.webhook,
      fromParameters: secrets.map(([secret]) => secret),
    });
    this.archive = new ConversationArchive(this, "archive", {
      bucketName: settings.bucketName,
      target: settings.target,
    });
    this.sessions = new SessionsTable(this, "sessions", {
      tableName: settings.tableName,
      target: settings.target,
    });
    this.bot = new TelegramBotFunction(this, "bot", {
      functionName: settings.functionName,
      bundleDir: props.bundleDir,
      table: this.sessions.table,
      bucket: this.archive.bucket,
      variables,
      webhook: settings.webhook,
      schedule: settings.schedule,
    });
    this.bot.readSecretsFromSsm(settings.secretParameters, context);
    const failureQueueName = settings.webhook
      ? failedUpdatesQueueName(settings.functionName)
      : undefined;
    this.alarms = new BotAlarms(this, "alarms", {
      functionName: settings.functionName,
      ...(failureQueueName ? { failureQueueName } : {}),
      pollingSchedule: settings.schedule && !settings.webhook,
      ...(settings.alarmEmail ? { email: settings.alarmEmail } : {}),
      context,
    });
    this.dashboard = new BotDashboard(this, "dashboard", {
      functionName: settings.functionName,
      tableName: settings.tableName,
      region: settings.region,
      ...(failureQueueName ? { failureQueueName } : {}),
    });

    const output = (id: string, value: string, description: string) =>
      new TerraformOutput(this, id, { value, description });
    output("bucket_name", this.archive.bucket.bucket, "S3 bucket of archived transcripts.");
    output("table_name", this.sessions.table.name, "DynamoDB table of live sessions.");
    output("function_name", this.bot.fn.functionName, "Lambda function to invoke.");
    output("log_group_name", this.bot.logGroup.name, "CloudWatch log group of the function.");
    output("deploy_target", settings.target, "localstack or aws.");
    if (this.bot.url)
      output("webhook_url", this.bot.url.functionUrl, "Function URL for `npm run webhook -- set`.");
    output(
      "alarm_topic_arn",
      this.alarms.topic.arn,
      settings.alarmEmail
        ? "SNS topic of the alarms; ALARM_EMAIL is subscribed (confirm the e-mail AWS sends it)."
        : "SNS topic of the alarms: subscribe to it (aws sns subscribe --protocol email …) or set ALARM_EMAIL.",
    );
    output(
      "dashboard_name",
      this.dashboard.dashboard.dashboardName,
      "CloudWatch dashboard of the bot.",
    );
    if (this.bot.failureQueue)
      output(
        "failed_updates_queue",
        this.bot.failureQueue.url,
        "SQS queue of queued webhook events that failed every attempt (see `npm run failed`).",
      );
  }

  /** The HCL exit's Terraform, made to move with the project and parse without warnings. */
  override toHclTerraform(): ReturnType<TerraformStack["toHclTerraform"]> {
    const synthesized = super.toHclTerraform();
    const stackDir = resolve(App.of(this).outdir, "stacks", this.node.id);
    return { ...synthesized, hcl: plainTerraform(synthesized.hcl, stackDir) };
  }
}
