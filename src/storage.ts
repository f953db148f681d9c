import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table/index.js";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket/index.js";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls/index.js";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy/index.js";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block/index.js";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration/index.js";
import { Construct } from "constructs";
import { ACTIVE_INDEX } from "../handler/adapters/dynamo-items.js";
import type { DeployTarget } from "./settings.js";
/** Attribute DynamoDB's TTL reads (epoch seconds) to expire closed-session metadata and webhook claims. */
export const TTL_ATTRIBUTE = "expires_at";

/** Settings of {@link ConversationArchive}. */
export interface ConversationArchiveProps {
  /** Bucket name (global on AWS). @default "chatbot-conversations" (via `StackSettings`) */
  readonly bucketName: string;
  /** `aws` adds the TLS-only policy and keeps the bucket on destroy; `localstack` force-destroys it. */
  readonly target: DeployTarget;
}

/**
 * The S3 bucket of archived transcripts
 * (`<user_id>/model_<model>/session_<id>.json` and `.txt`): private, encrypted
 * at rest, owner-enforced and, on AWS, reachable over TLS only.
 */
export class ConversationArchive extends Construct {
  /** The bucket. */
  readonly bucket: S3Bucket;

  constructor(scope: Construct, id: string, props: ConversationArchiveProps) {
    super(scope, id);
    this.bucket = new S3Bucket(this, "bucket", {
      bucket: props.bucketName,
      // LocalStack state is throwaway; on AWS a destroy must never delete transcripts.
      forceDestroy: props.target === "localstack",
    });
    new S3BucketPublicAccessBlock(this, "public-access-block", {
      bucket: this.bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, "ownership", {
      bucket: this.bucket.id,
      rule: { objectOwnership: "BucketOwnerEnforced" },
    });
    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      bucket: this.bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
    });
    if (props.target === "aws") this.requireTls();
  }

  private requireTls(): void {
    const policy = new DataAwsIamPolicyDocument(this, "tls-only", {
      statement: [
        {
          sid: "DenyInsecureTransport",
          effect: "Deny",
          principals: [{ type: "*", identifiers: ["*"] }],
          actions: ["s3:*"],
          resources: [this.bucket.arn, `${this.bucket.arn}/*`],
          condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
        },
      ],
    });
    new S3BucketPolicy(this, "policy", { bucket: this.bucket.id, policy: policy.json });
  }
}

/** Settings of {@link SessionsTable}. */
export interface SessionsTableProps {
  /** Table name. @default "ChatbotSessions" (via `StackSettings`) */
  readonly tableName: string;
  /** `aws` turns point-in-time recovery on (LocalStack does not need it). */
  readonly target: DeployTarget;
}

/**
 * The `ChatbotSessions` table of the design document: `PK = USER#<user id>`,
 * `SK = MODEL#<model>#SESSION#<id>` (plus the user's profile and the poller's
 * own `BOT#…` items), on-demand, with TTL and a sparse index that finds idle
 * active sessions with a Query instead of a Scan.
 */
export class SessionsTable extends Construct {
  /** The table. */
  readonly table: DynamodbTable;

  constructor(scope: Construct, id: string, props: SessionsTableProps) {
    super(scope, id);
    this.table = new DynamodbTable(this, "table", {
      name: props.tableName,
      billingMode: "PAY_PER_REQUEST",
      hashKey: "PK",
      rangeKey: "SK",
      attribute: [
        { name: "PK", type: "S" },
        { name: "SK", type: "S" },
        { name: "GSI1PK", type: "S" },
        { name: "GSI1SK", type: "S" },
      ],
      globalSecondaryIndex: [
        {
          // Only active sessions carry GSI1PK, so the index holds exactly them. The name is
          // the handler's, which queries it: defined once, there.
          name: ACTIVE_INDEX,
          hashKey: "GSI1PK",
          rangeKey: "GSI1SK",
          projectionType: "KEYS_ONLY",
        },
      ],
      ttl: { attributeName: TTL_ATTRIBUTE, enabled: true },
      pointInTimeRecovery: { enabled: props.target === "aws" },
      deletionProtectionEnabled: false,
    });
  }
}
