import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity/index.js";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition/index.js";
import { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region/index.js";
import { Construct } from "constructs";

/**
 * Where the stack is deployed, as Terraform learns it (partition, region,
 * account): for ARNs of things the stack does not create (an SSM parameter,
 * the KMS keys of this account) and for the conditions that name them.
 * Siblings receive it through their props.
 */
export class AwsContext extends Construct {
  /** `aws`, `aws-cn`, `aws-us-gov`. */
  readonly partition: string;
  /** Service host suffix, `amazonaws.com` in the `aws` partition. */
  readonly dnsSuffix: string;
  readonly region: string;
  readonly accountId: string;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const partition = new DataAwsPartition(this, "partition");
    this.partition = partition.partition;
    this.dnsSuffix = partition.dnsSuffix;
    this.region = new DataAwsRegion(this, "region").region;
    this.accountId = new DataAwsCallerIdentity(this, "account").accountId;
  }

  /** The ARN of `resource` in `service` in this account and region. */
  arn(service: string, resource: string): string {
    return `arn:${this.partition}:${service}:${this.region}:${this.accountId}:${resource}`;
  }
}
