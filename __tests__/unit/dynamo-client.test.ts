import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createDocumentClient, SKIPPED_MIDDLEWARE } from "../../handler/adapters/dynamo-client.js";

describe("createDocumentClient: the DynamoDB client the adapters share", () => {
  let server: Server;
  let endpoint: string;
  const seen: { headers: IncomingHttpHeaders; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (c: string) => {
        body += c;
      });
      req.on("end", () => {
        seen.push({ headers: req.headers, body });
        res.writeHead(200, { "content-type": "application/x-amz-json-1.0" });
        const op = String(req.headers["x-amz-target"]);
        res.end(
          op.endsWith(".GetItem")
            ? JSON.stringify({ Item: { PK: { S: "USER#1" }, n: { N: "3" } } })
            : "{}",
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const client = () =>
    createDocumentClient({
      endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" },
    });

  it("signs every call and sends the SDK's user agent, the same on every call", async () => {
    // Prepare
    const db = client();
    seen.length = 0;

    // Act
    await db.send(new GetCommand({ TableName: "Table", Key: { PK: "USER#1", SK: "A" } }));
    await db.send(new GetCommand({ TableName: "Table", Key: { PK: "USER#1", SK: "B" } }));

    // Assess
    expect(seen).toHaveLength(2);
    const [first, second] = seen.map((s) => s.headers);
    expect(first?.["user-agent"]).toMatch(/^aws-sdk-js\/\d+\.\d+\.\d+ .*api\/dynamodb#\d+\.\d+/);
    expect(second?.["user-agent"]).toBe(first?.["user-agent"]);
    expect(first?.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDTEST\//);
  });

  it("keeps the document client's translation: plain values in, plain values out, undefined dropped", async () => {
    // Prepare
    const db = client();
    seen.length = 0;

    // Act
    const got = await db.send(
      new GetCommand({ TableName: "Table", Key: { PK: "USER#1", SK: "A" } }),
    );
    await db.send(new PutCommand({ TableName: "Table", Item: { PK: "USER#1", gone: undefined } }));

    // Assess
    expect(got.Item).toEqual({ PK: "USER#1", n: 3 });
    expect(JSON.parse(seen[1]?.body ?? "{}")).toEqual({
      TableName: "Table",
      Item: { PK: { S: "USER#1" } },
    });
  });

  it("runs without the middleware it has no use for", () => {
    const names = client().middlewareStack.identify().join("\n");
    for (const name of SKIPPED_MIDDLEWARE) expect(names).not.toContain(name);
    expect(names).toContain("fixedUserAgent");
  });
});
