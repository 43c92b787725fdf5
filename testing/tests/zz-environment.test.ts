// Last file of the run: say in one line what the broker and browser tests ran on.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { forget, recorded } from "../environment";
import { mosquittoPath } from "../../fleet/broker/broker";

test("the broker tests ran on Mosquitto when CI requires it", () => {
  const lines = recorded();
  if (process.env.CI === "true") {
    assert.ok(lines.some((l) => l.startsWith("broker mosquitto")), `CI=true but broker tests ran on: ${lines.join("; ") || "nothing"}`);
    assert.ok(!lines.some((l) => l.startsWith("broker embedded")), "CI=true: no broker test may fall back to the embedded broker");
  } else {
    assert.ok(lines.length === 0 || lines.some((l) => l.startsWith("broker")));
  }
});

after(() => {
  const lines = recorded();
  const broker = lines.filter((l) => l.startsWith("broker ")).map((l) => l.slice(7)).join(", ") || "none";
  const browser = lines.filter((l) => l.startsWith("browser ")).map((l) => l.slice(8)).join(", ") || "none";
  const device = lines.filter((l) => l.startsWith("device ")).map((l) => l.slice(7)).join(", ") || "not run";
  // Name only what was missing (a skipped device or testbed run says why in its own line above).
  const missing = [...(mosquittoPath() && !lines.some((l) => l.startsWith("broker embedded")) ? [] : ["mosquitto"]),
    ...(lines.some((l) => l.startsWith("browser chromium")) ? [] : ["chromium"])];
  const full = missing.length ? ` — for the full run install Debian's ${missing.join(" and ")} (sudo apt-get install ${missing.join(" ")}) or run .ci/run` : "";
  console.log(`test environment: broker tests on ${broker}; browser tests on ${browser}; device tests: ${device}${full}`);
  forget();
});
