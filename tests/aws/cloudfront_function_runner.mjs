// Runs a CloudFront Function's handler on events, in a fresh V8 context that has only what the
// cloudfront-js-2.0 runtime gives (ECMAScript built-ins and Buffer): no require, no process, no fetch.
// stdin: {"code": "...", "events": [...]}; stdout: the handler's result for each event.
import { Buffer } from "node:buffer";
import { readFileSync } from "node:fs";
import vm from "node:vm";

const { code, events } = JSON.parse(readFileSync(0, "utf8"));
const context = vm.createContext({ Buffer });
vm.runInContext(code, context, { timeout: 1000 });
const results = events.map((event) => {
  context.__event = JSON.parse(JSON.stringify(event));
  return vm.runInContext("handler(__event)", context, { timeout: 1000 });
});
process.stdout.write(JSON.stringify(results));
