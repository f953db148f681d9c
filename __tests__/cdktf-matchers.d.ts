/**
 * cdktf declares its jest matchers on the global `jest.Matchers` (the @types/jest shape);
 * the tests import `expect` from `@jest/globals`, whose matchers live in the `expect` module.
 */
import type { TerraformConstructor } from "cdktf/lib/testing/matchers";

declare module "expect" {
  interface Matchers<R> {
    /** The synthesized stack has at least one resource of this type. */
    toHaveResource(resourceConstructor: TerraformConstructor): R;
    /** … with these properties (snake_case keys, as in the synthesized JSON). */
    toHaveResourceWithProperties(
      resourceConstructor: TerraformConstructor,
      properties: Record<string, unknown>,
    ): R;
    /** The synthesized stack configures this provider with these properties. */
    toHaveProviderWithProperties(
      providerConstructor: TerraformConstructor,
      properties: Record<string, unknown>,
    ): R;
  }
}
