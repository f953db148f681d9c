import { randomBytes, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { parameterNameProblem } from "../../handler/setting-parameters.js";
import { RestartableServer, readBody } from "./http.js";

/** A parameter as the fake holds it. */
interface StoredParameter {
  readonly type: "String" | "SecureString";
  readonly value: string;
  /** What a read without decryption returns for a SecureString: KMS ciphertext, base64. */
  readonly ciphertext: string;
  readonly version: number;
  readonly modifiedAt: number;
}

/** One request the fake received. */
export interface SsmCall {
  readonly operation: string;
  readonly name?: string;
  readonly withDecryption?: boolean;
}

/** The account the fake's ARNs carry (LocalStack's too). */
const ACCOUNT = "000000000000";

/**
 * AWS Systems Manager Parameter Store as AWS SDK v3 speaks to it (AWS JSON
 * 1.1: `POST /`, `X-Amz-Target: AmazonSSM.<Operation>`, SigV4-signed), for
 * `GetParameter` only: a String's value as stored; a SecureString's value
 * decrypted with `WithDecryption: true` and as KMS ciphertext without. Names
 * are checked by Parameter Store's rules (`ValidationException`). Errors are
 * AWS's JSON shape, `{"__type": …}` with status 400, as SSM sends them: a
 * missing parameter is `ParameterNotFound` with no message at all; a parameter
 * the caller's role may not read ({@link deny}) is `AccessDeniedException`
 * with IAM's wording. Selectors (`name:3`, `name:label`) and the other
 * operations are answered as unsupported, so a test never mistakes them for
 * SSM's behaviour.
 *
 * Hand-written for the same reason as the SQS fake: no SSM emulator on npm
 * runs without Java or Docker, and mocking the SDK would not test the
 * requests the built bundle sends.
 */
export class FakeSsm {
  private readonly server = new RestartableServer((req, res) => void this.route(req, res));
  private readonly parameters = new Map<string, StoredParameter>();
  private readonly denied = new Set<string>();
  /** Requests received, in order. */
  readonly calls: SsmCall[] = [];

  private constructor() {}

  static async start(): Promise<FakeSsm> {
    const fake = new FakeSsm();
    await fake.server.start();
    return fake;
  }

  /** What `AWS_ENDPOINT_URL_SSM` (or `AWS_ENDPOINT_URL`) is set to. */
  get url(): string {
    return this.server.url;
  }

  /** Creates or overwrites a parameter, as `aws ssm put-parameter --overwrite` does (a new version). */
  putParameter(name: string, value: string, type: StoredParameter["type"] = "SecureString"): void {
    const problem = parameterNameProblem(name);
    if (problem) throw new Error(`SSM would refuse the name ${name}: it ${problem}`);
    this.parameters.set(name, {
      type,
      value,
      ciphertext: randomBytes(48 + value.length).toString("base64"),
      version: (this.parameters.get(name)?.version ?? 0) + 1,
      modifiedAt: Date.now() / 1000,
    });
  }

  /** From now on the caller may not read `name`, as when its role lacks `ssm:GetParameter` on it. */
  deny(name: string): void {
    this.denied.add(name);
  }

  /** The `GetParameter` requests received. */
  reads(): SsmCall[] {
    return this.calls.filter((c) => c.operation === "GetParameter");
  }

  async close(): Promise<void> {
    await this.server.stop();
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = String(req.headers["x-amz-target"] ?? "");
    const body = (await readBody(req)).toString("utf8");
    const operation = target.replace(/^AmazonSSM\./, "");
    if (req.method !== "POST" || !target.startsWith("AmazonSSM."))
      return fail(res, "UnknownOperationException", undefined);
    const authorization = String(req.headers.authorization ?? "");
    const region = /Credential=[^/]+\/\d{8}\/([^/]+)\/ssm\/aws4_request/.exec(authorization)?.[1];
    if (!region)
      return fail(res, "MissingAuthenticationTokenException", "Missing Authentication Token");
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(body || "{}") as Record<string, unknown>;
    } catch {
      return fail(res, "SerializationException", undefined);
    }
    if (operation !== "GetParameter") {
      this.calls.push({ operation });
      return fail(res, "UnknownOperationException", `${operation} is not supported by this fake.`);
    }
    const name = typeof input.Name === "string" ? input.Name : "";
    const withDecryption = input.WithDecryption === true;
    this.calls.push({ operation, name, withDecryption });
    if (name.includes(":"))
      return fail(res, "UnknownOperationException", "selectors are not supported by this fake.");
    const problem = name === "" ? "must not be empty" : parameterNameProblem(name);
    if (problem)
      return fail(
        res,
        "ValidationException",
        `1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint: the name ${problem}`,
      );
    const arn = `arn:aws:ssm:${region}:${ACCOUNT}:parameter/${name.replace(/^\//, "")}`;
    if (this.denied.has(name))
      return fail(
        res,
        "AccessDeniedException",
        `User: arn:aws:sts::${ACCOUNT}:assumed-role/telegram-bot-execution/telegram-bot is not authorized to perform: ssm:GetParameter on resource: ${arn} because no identity-based policy allows the ssm:GetParameter action`,
      );
    const stored = this.parameters.get(name);
    if (!stored) return fail(res, "ParameterNotFound", undefined);
    reply(res, {
      Parameter: {
        ARN: arn,
        DataType: "text",
        LastModifiedDate: stored.modifiedAt,
        Name: name,
        Type: stored.type,
        Value: stored.type === "SecureString" && !withDecryption ? stored.ciphertext : stored.value,
        Version: stored.version,
      },
    });
  }
}

function send(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/x-amz-json-1.1",
    "content-length": Buffer.byteLength(text),
    "x-amzn-requestid": randomUUID(),
  });
  res.end(text);
}

function reply(res: ServerResponse, body: object): void {
  send(res, 200, body);
}

function fail(res: ServerResponse, type: string, message: string | undefined): void {
  send(res, 400, { __type: type, ...(message === undefined ? {} : { message }) });
}
