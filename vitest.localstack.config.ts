import { defineConfig } from "vitest/config";

/**
 * `npm run test:localstack`: deploys the real stack to a running LocalStack
 * with Terraform, invokes it and destroys it. Needs Docker, Terraform and
 * LOCALSTACK_ENDPOINT (e.g. http://localhost:4566); never part of `npm test`.
 */
export default defineConfig({
  test: {
    include: ["__tests__/localstack/**/*.test.ts"],
    globalSetup: ["__tests__/global-setup.ts"],
    pool: "forks",
    testTimeout: 600_000,
    hookTimeout: 900_000,
  },
});
