import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";

const root = resolve(import.meta.dirname, "..", "..");

/**
 * The HCL exit as `npm run synth:hcl` makes it: the same app (`main.ts`, as `cdktf synth
 * --hcl` runs it, with the CLI's SYNTH_HCL_OUTPUT and CDKTF_OUTDIR), into a temporary
 * folder inside the project (as `terraform/` is) instead of `terraform/`. No Terraform
 * here: the text is what is checked.
 */
describe("npm run synth:hcl: plain Terraform that moves with the project and parses without warnings", () => {
  let outdir: string;
  let hcl: string;
  beforeAll(() => {
    mkdirSync(join(root, ".test-results"), { recursive: true });
    outdir = mkdtempSync(join(root, ".test-results", "synth-hcl-"));
    execFileSync(process.execPath, ["--import", "tsx", "main.ts"], {
      cwd: root,
      env: { ...process.env, SYNTH_HCL_OUTPUT: "true", CDKTF_OUTDIR: outdir, NODE_OPTIONS: "" },
      stdio: "ignore",
    });
    hcl = readFileSync(join(outdir, "stacks", "chatbot", "cdk.tf"), "utf8");
  }, 120_000);
  afterAll(() => {
    rmSync(outdir, { recursive: true, force: true });
  });

  it("names the state in the project folder by a path relative to the stack's folder", () => {
    // Act
    const path = /backend "local" \{\s*path\s*=\s*"([^"]+)"/.exec(hcl)?.[1] ?? "";

    // Assert
    expect(path).not.toMatch(/^\//);
    expect(resolve(outdir, "stacks", "chatbot", path)).toBe(
      join(root, "terraform.chatbot.tfstate"),
    );
    expect(hcl).not.toContain(root);
  });

  it('lists depends_on as references, not quoted strings (Terraform: "Quoted references are deprecated")', () => {
    // Act
    const lists = [...hcl.matchAll(/depends_on\s*=\s*\[([^\]]*)\]/g)].map((m) => m[1] ?? "");

    // Assert
    expect(lists.length).toBeGreaterThan(0);
    expect(lists.filter((list) => list.includes('"'))).toEqual([]);
    expect(lists.join(",")).toMatch(/aws_cloudwatch_log_group\.\w+/);
  });
});
