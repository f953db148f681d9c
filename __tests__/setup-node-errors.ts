/**
 * Jest runs each test file in a VM context with its own `Error` classes, while Node's
 * modules (`net`, `fs`, `undici`) throw errors from Node's own realm. Without this,
 * `err instanceof Error` is false for a refused connection inside a test, and code under
 * test (the AWS SDK's error handling, our own `instanceof Error` checks) behaves as it never
 * does in a real process. Each error class of the test's realm here also recognises the
 * same class of Node's realm.
 */
import type * as vm from "node:vm";

const nodeVm = process.getBuiltinModule("node:vm") as typeof vm;
const ERROR_CLASSES = [
  "Error",
  "TypeError",
  "RangeError",
  "SyntaxError",
  "ReferenceError",
  "EvalError",
  "URIError",
  "AggregateError",
] as const;

for (const name of ERROR_CLASSES) {
  const local = globalThis[name] as unknown as { prototype: object };
  const node = nodeVm.runInThisContext(name) as { prototype: object };
  if (node === local) continue;
  Object.defineProperty(local, Symbol.hasInstance, {
    configurable: true,
    value(this: { prototype: object }, value: unknown): boolean {
      if (typeof value !== "object" || value === null) return false;
      const own = Object.prototype.isPrototypeOf.call(this.prototype, value);
      // Only the class itself maps across realms; a user-defined subclass stays exact.
      return own || (this === local && Object.prototype.isPrototypeOf.call(node.prototype, value));
    },
  });
}
