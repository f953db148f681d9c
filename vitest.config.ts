import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["__tests__/**/*.test.ts"],
    // Needs Docker, Terraform and a running LocalStack: `npm run test:localstack`.
    exclude: ["__tests__/localstack/**", "node_modules/**"],
    globalSetup: ["__tests__/global-setup.ts"],
    pool: "forks",
    // Integration tests mostly wait (flood-control retry_after, streaming pace, leases), so more
    // files than cores run at once; vitest's default on a 2-core machine would be one.
    poolOptions: { forks: { minForks: 1, maxForks: 4 } },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: process.env.CI ? ["default", "json"] : ["default"],
    outputFile: { json: ".test-results/vitest.json" },
  },
});
