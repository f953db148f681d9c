/**
 * Jest for `npm test`: every `__tests__/**\/*.test.ts` except the opt-in LocalStack test
 * (`npm run test:localstack`, see jest.localstack.config.js).
 *
 * The project is ESM (`"type": "module"`, `import.meta.dirname` in tests and scripts), so
 * jest runs with Node's VM modules (`--experimental-vm-modules`, set by the npm script) and
 * @swc/jest strips the types and keeps the ES modules as they are.
 *
 * @type {import("jest").Config}
 */
const config = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  testPathIgnorePatterns: ["/node_modules/", "<rootDir>/__tests__/localstack/"],
  extensionsToTreatAsEsm: [".ts"],
  transform: {
    "^.+\\.ts$": [
      "@swc/jest",
      {
        jsc: { parser: { syntax: "typescript" }, target: "es2022" },
        module: { type: "es6" },
      },
    ],
  },
  // Sources import siblings as `./x.js` (NodeNext); jest resolves the `.ts` file behind it.
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  // Builds the Lambda bundle and synthesizes the stack once per run.
  globalSetup: "<rootDir>/__tests__/global-setup.ts",
  setupFilesAfterEnv: [
    "<rootDir>/__tests__/setup-node-errors.ts",
    "<rootDir>/__tests__/setup-cdktf-matchers.ts",
    "<rootDir>/__tests__/setup-quiet-console.ts",
  ],
  // Integration tests mostly wait (flood-control retry_after, streaming pace, leases), so more
  // files than cores run at once; jest's default on a 2-core machine would be one worker.
  maxWorkers: 4,
  // Node's VM modules keep each test file's module graph after the file (nodejs/node#63186,
  // jestjs/jest#14605): a worker's heap grows by tens of MB a file, and one that ends a run
  // near a gigabyte takes longer than jest's 500 ms to exit ("failed to exit gracefully").
  // A worker past this much heap after a file is replaced by a fresh one.
  workerIdleMemoryLimit: "384MB",
  testTimeout: 60_000,
};

export default config;
