import {
  GetParameterCommand,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
} from "@aws-sdk/client-ssm";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { EMULATOR_CREDENTIALS } from "./aws-emulators.js";
import { FakeSsm } from "./fake-ssm.js";

describe("the fake SSM Parameter Store, through the real SDK client", () => {
  let ssm: FakeSsm;
  let client: SSMClient;
  beforeAll(async () => {
    ssm = await FakeSsm.start();
    client = new SSMClient({
      endpoint: ssm.url,
      region: "eu-west-1",
      credentials: EMULATOR_CREDENTIALS,
      maxAttempts: 1,
    });
  });
  afterAll(async () => {
    client.destroy();
    await ssm.close();
  });
  const get = (Name: string, WithDecryption = true) =>
    client.send(new GetParameterCommand({ Name, WithDecryption }));
  const errorOf = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (err: unknown) => err as Error & { $metadata?: { httpStatusCode?: number } },
    );

  it("decrypts a SecureString only when asked, and returns its ARN in the caller's region", async () => {
    // Prepare
    ssm.putParameter("/bot/token", "123:secret-value");

    // Act
    const plain = await get("/bot/token");
    const sealed = await get("/bot/token", false);

    // Assess
    expect(plain.Parameter).toMatchObject({
      Name: "/bot/token",
      Type: "SecureString",
      Value: "123:secret-value",
      Version: 1,
      ARN: "arn:aws:ssm:eu-west-1:000000000000:parameter/bot/token",
      DataType: "text",
    });
    expect(plain.Parameter?.LastModifiedDate).toBeInstanceOf(Date);
    expect(sealed.Parameter?.Value).not.toContain("secret-value");
    expect(
      ssm
        .reads()
        .slice(-2)
        .map((c) => c.withDecryption),
    ).toEqual([true, false]);
  });

  it("answers a missing parameter as SSM does: 400 ParameterNotFound, without a message", async () => {
    // Act
    const err = await errorOf(get("/bot/missing"));

    // Assess
    expect(err).toBeInstanceOf(ParameterNotFound);
    expect(err?.$metadata?.httpStatusCode).toBe(400);
    expect(err?.message).toBe("UnknownError");
  });

  it("refuses names Parameter Store refuses, a denied read, and operations it does not implement", async () => {
    // Prepare
    ssm.putParameter("/bot/denied", "x");
    ssm.deny("/bot/denied");

    // Act
    const badName = await errorOf(get("bot/no-leading-slash"));
    const awsPrefix = await errorOf(get("/aws/reserved"));
    const denied = await errorOf(get("/bot/denied"));
    const put = await errorOf(
      client.send(new PutParameterCommand({ Name: "/bot/x", Value: "v", Type: "String" })),
    );

    // Assess
    expect(badName?.name).toBe("ValidationException");
    expect(awsPrefix?.name).toBe("ValidationException");
    expect(denied?.name).toBe("AccessDeniedException");
    expect(denied?.message).toMatch(
      /not authorized to perform: ssm:GetParameter on resource: arn:aws:ssm:eu-west-1:000000000000:parameter\/bot\/denied/,
    );
    expect(put?.name).toBe("UnknownOperationException");
  });
});
