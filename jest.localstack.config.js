/**
 * `npm run test:localstack`: deploys the real stack to a running LocalStack with
 * Terraform, invokes it and destroys it. Needs Docker, Terraform and LOCALSTACK_ENDPOINT
 * (e.g. http://localhost:4566); never part of `npm test`.
 *
 * @type {import("jest").Config}
 */
import base from "./jest.config.js";

const config = {
  ...base,
  testPathIgnorePatterns: ["/node_modules/"],
  roots: ["<rootDir>/__tests__/localstack"],
  maxWorkers: 1,
  testTimeout: 900_000,
};

export default config;
