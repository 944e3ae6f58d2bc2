// axe-core (the npm package) run inside a page against the WCAG 2.0/2.1 A and AA rules. The pages' CSP allows no
// inline or foreign scripts, so axe is not added as a script tag: Playwright evaluates its source over the DevTools
// protocol, which the page's policy does not govern (csp.test.mjs shows the policy still blocks injected tags).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export const wcagTags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/** Runs axe over the whole page and returns its violations as `{ id, impact, help, helpUrl, targets }`. */
export async function violations(page, { timeout = 30_000 } = {}) {
  const run = async () => {
    if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(axeSource);
    return page.evaluate(async (tags) => {
      const results = await window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
      return results.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        helpUrl: v.helpUrl,
        targets: v.nodes.map((n) => ({ target: n.target.join(" "), summary: n.failureSummary })),
      }));
    }, wcagTags);
  };
  let timer;
  const timedOut = new Promise((_, fail) => (timer = setTimeout(() => fail(new Error(`axe did not finish in ${timeout} ms`)), timeout)));
  try {
    return await Promise.race([run(), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** A readable list: one violation per paragraph, each failing element with axe's summary of why. */
export function describe(found) {
  return found
    .map((v) =>
      [`${v.id} (${v.impact}): ${v.help}`, `  ${v.helpUrl}`, ...v.targets.map((t) => `  - ${t.target}\n      ${t.summary.replaceAll("\n", "\n      ")}`)].join("\n"),
    )
    .join("\n");
}

/** Fails when axe finds any WCAG 2.0/2.1 A or AA violation on the page; `label` names the page in the message. */
export async function assertNoViolations(page, label) {
  const found = await violations(page);
  if (found.length > 0) {
    const error = new Error(`${label}: ${found.length} accessibility violation(s)\n${describe(found)}`);
    error.violations = found;
    throw error;
  }
}
