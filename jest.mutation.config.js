/**
 * `npm run mutation`: StrykerJS runs the unit tests of the pure modules against each mutant.
 * Unit tests need neither the bundle nor the synthesized stack, so no global setup here.
 *
 * @type {import("jest").Config}
 */
import base from "./jest.config.js";

const { globalSetup: _unused, ...withoutSetup } = base;

const config = {
  ...withoutSetup,
  roots: ["<rootDir>/__tests__/unit"],
  setupFilesAfterEnv: ["<rootDir>/__tests__/setup-node-errors.ts"],
};

export default config;
