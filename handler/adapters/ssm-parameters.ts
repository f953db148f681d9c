import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { ConfigError } from "../errors.js";

/** A parameter to read, and the setting that named it (for error messages). */
export interface ParameterRequest {
  readonly name: string;
  readonly setting: string;
}

/** A parameter's decrypted value and its type (`SecureString` expected). */
export interface ParameterValue {
  readonly value: string;
  readonly type: string;
}

/**
 * Reads each parameter with `GetParameter` and decryption, with an SSM client
 * of its own whose endpoint comes from the SDK's standard variables
 * (`AWS_ENDPOINT_URL_SSM`, `AWS_ENDPOINT_URL`), as for every other client.
 * This module is a file of its own in the bundle, imported only by a cold
 * start whose settings name a parameter (see `settings-from-ssm.ts`).
 * @throws ConfigError naming the parameter and the setting when it does not
 * exist or the function may not read it; other failures (network, throttling)
 * are rethrown as the SDK reports them, for the next invoke to try again.
 */
export async function readParameters(
  requests: readonly ParameterRequest[],
): Promise<ParameterValue[]> {
  const client = new SSMClient({});
  try {
    return await Promise.all(requests.map((request) => readOne(client, request)));
  } finally {
    client.destroy();
  }
}

/** What SSM answers when the function may not read the parameter, or its key cannot decrypt it. */
const REFUSALS = new Set(["AccessDeniedException", "ValidationException", "InvalidKeyId"]);

async function readOne(client: SSMClient, { name, setting }: ParameterRequest) {
  try {
    const { Parameter } = await client.send(
      new GetParameterCommand({ Name: name, WithDecryption: true }),
    );
    if (Parameter?.Value === undefined)
      throw new ConfigError(`SSM parameter "${name}" (${setting}) came back without a value.`);
    return { value: Parameter.Value, type: Parameter.Type ?? "String" };
  } catch (err) {
    if (!(err instanceof Error)) throw err;
    if (err.name === "ParameterNotFound")
      throw new ConfigError(
        `${setting} names the SSM parameter "${name}", which does not exist in this account and region: create it with ` +
          `aws ssm put-parameter --type SecureString --name "${name}" --value <the secret>`,
        { cause: err },
      );
    if (REFUSALS.has(err.name))
      throw new ConfigError(
        `${setting}: SSM refused to read parameter "${name}" (${err.name}: ${err.message})`,
        { cause: err },
      );
    throw err;
  }
}
