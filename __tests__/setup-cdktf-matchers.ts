/**
 * Registers cdktf's own jest matchers (`toHaveResourceWithProperties`, `toHaveResource`,
 * `toHaveProvider…`) for every test file; the infra tests use them on `Testing.synth` output.
 */
import { Testing } from "cdktf";

Testing.setupJest();
