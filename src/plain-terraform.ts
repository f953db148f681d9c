/**
 * The HCL exit (`npm run synth:hcl`, `cdktf synth --hcl`) as plain Terraform a person
 * keeps: the local state named relative to the stack's folder, so the project can move
 * (cdktf writes an absolute path), and `depends_on` as references, not quoted strings
 * (Terraform warns "Quoted references are deprecated" on cdktf's).
 */
import { isAbsolute, relative, sep } from "node:path";

/** A reference as `depends_on` lists it: `type.name`, `data.type.name`, `module.name`. */
const QUOTED_REFERENCE = /"([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)+)"/g;

/**
 * `hcl` as cdktf renders a stack, with the local backend's path made relative to
 * `stackDir` (the folder `terraform` runs in) and every `depends_on` entry unquoted.
 */
export function plainTerraform(hcl: string, stackDir: string): string {
  return hcl
    .replace(
      /(backend "local" \{\s*path\s*=\s*")([^"]+)(")/,
      (_, before: string, path: string, after: string) =>
        before + (isAbsolute(path) ? relative(stackDir, path).split(sep).join("/") : path) + after,
    )
    .replace(
      /depends_on\s*=\s*\[([^\]]*)\]/g,
      (_, list: string) => `depends_on = [${list.replace(QUOTED_REFERENCE, "$1")}]`,
    );
}
