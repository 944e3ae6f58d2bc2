// Lets Node import the Worker module to inspect it: `cloudflare:workers` (the runtime's own module) becomes two
// empty base classes, and the extensionless relative imports of @cloudflare/containers' build resolve to .js files.
// Only for test/worker.test.mjs; the Worker itself runs in workerd.
import { register } from "node:module";

const runtime = "export class DurableObject { constructor(ctx, env) { this.ctx = ctx; this.env = env; } } export class WorkerEntrypoint {}";

register(
  "data:text/javascript," +
    encodeURIComponent(`
      export async function resolve(specifier, context, next) {
        if (specifier === "cloudflare:workers") return { url: "data:text/javascript,${encodeURIComponent(runtime)}", shortCircuit: true };
        if (/^\\.\\.?\\//.test(specifier) && !/\\.[cm]?js$/.test(specifier) && context.parentURL?.includes("/node_modules/")) {
          return next(specifier + ".js", context);
        }
        return next(specifier, context);
      }`),
);
