import type { DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js";
import { SECRET_PARAMETERS, type SecretSetting } from "../handler/settings.js";
import type { AwsContext } from "./aws-context.js";

/**
 * Secrets the function reads from SSM Parameter Store: each sensitive setting
 * (see `handler/settings.ts`), and the name of the parameter holding it.
 */
export type SecretParameters = Partial<Record<SecretSetting, string>>;

/** Reading one parameter by name (the handler's only SSM call). */
export const PARAMETER_ACTIONS = ["ssm:GetParameter"] as const;
/** What decrypting a SecureString takes on its KMS key. */
export const DECRYPT_ACTIONS = ["kms:Decrypt"] as const;

/** The setting that names `setting`'s parameter, e.g. `TELEGRAM_BOT_TOKEN_PARAMETER`. */
export const parameterSettingOf = (setting: SecretSetting): string => SECRET_PARAMETERS[setting];

/** The secrets named in `parameters`, each with its parameter's name, in the table's order. */
export function namedParameters(parameters: SecretParameters): [SecretSetting, string][] {
  return (Object.keys(SECRET_PARAMETERS) as SecretSetting[]).flatMap((setting) => {
    const name = parameters[setting];
    return name ? [[setting, name]] : [];
  });
}

/** A parameter's ARN: its name without the leading slash of a path (`/a/b` → `parameter/a/b`). */
export function parameterArn(context: AwsContext, name: string): string {
  return context.arn("ssm", `parameter/${name.replace(/^\//, "")}`);
}

/**
 * The least privilege that reads `parameters` with decryption (checked
 * against AWS's documentation: the Systems Manager user guide's IAM examples
 * and "Restricting decryption of SecureString parameter values", the KMS
 * developer guide's condition keys):
 * - `ssm:GetParameter` on exactly those parameters' ARNs;
 * - `kms:Decrypt` on this account's keys in this region, only when SSM asks
 *   on the function's behalf (`kms:ViaService` = `ssm.<region>.<suffix>`) and
 *   only for these parameters (Parameter Store sends the parameter's ARN as
 *   the encryption context `PARAMETER_ARN`). The key is the default
 *   `aws/ssm` unless the parameter names another; its ID is not known at
 *   synth, hence `key/*` narrowed by the two conditions. (The `aws/ssm` key's
 *   own policy already lets the account's principals decrypt through SSM; a
 *   customer managed key's default policy defers to IAM, so this statement
 *   is what lets the function use one.)
 */
export function secretParameterStatements(
  parameters: SecretParameters,
  context: AwsContext,
): DataAwsIamPolicyDocumentStatement[] {
  const arns = namedParameters(parameters).map(([, name]) => parameterArn(context, name));
  return [
    { sid: "ReadSecretParameters", actions: [...PARAMETER_ACTIONS], resources: arns },
    {
      sid: "DecryptSecretParameters",
      actions: [...DECRYPT_ACTIONS],
      resources: [context.arn("kms", "key/*")],
      condition: [
        {
          test: "StringEquals",
          variable: "kms:ViaService",
          values: [`ssm.${context.region}.${context.dnsSuffix}`],
        },
        { test: "StringEquals", variable: "kms:EncryptionContext:PARAMETER_ARN", values: arns },
      ],
    },
  ];
}
