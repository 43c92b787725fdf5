// Waiting on a page whose Content-Security-Policy forbids eval: playwright's waitForFunction with
// a string compiles it in the page (blocked), while evaluate goes through the DevTools protocol.
import type { Page } from "playwright-core";

/** Poll `expression` in the page until it is truthy; its value, or an error naming it after `timeoutMs`. */
export async function waitInPage(page: Page, expression: string, timeoutMs = 5000, pollMs = 50): Promise<unknown> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await page.evaluate(expression);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${expression.slice(0, 200)}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
