// Last file of the run: say in one line what the broker and browser tests ran on.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { environmentProblems, forget, recorded } from "../environment";
import { mosquittoPath } from "../../fleet/broker/broker";

const env = { ci: process.env.CI === "true", mosquitto: mosquittoPath() !== null, testBroker: process.env.TEST_BROKER };

test("the broker tests ran on Mosquitto whenever it is installed (and under CI at all)", () => {
  assert.deepEqual(environmentProblems(recorded(), env), []);
});

test("the environment rule catches a fallback, a CI run without Mosquitto and a stray line", () => {
  const here = { ci: false, mosquitto: true };
  assert.deepEqual(environmentProblems(["broker mosquitto 2.0.18", "browser chromium 140"], here), []);
  assert.equal(environmentProblems(["broker embedded aedes 1.2"], here).length, 1, "Mosquitto installed, a test fell back");
  assert.deepEqual(environmentProblems(["broker embedded aedes 1.2"], { ...here, testBroker: "embedded" }), [], "asked for");
  assert.deepEqual(environmentProblems(["broker embedded aedes 1.2"], { ci: false, mosquitto: false }), [], "nothing else to run on");
  assert.equal(environmentProblems([], { ci: true, mosquitto: true }).length, 1, "CI ran no broker test on Mosquitto");
  assert.equal(environmentProblems(["broker embedded aedes 1.2"], { ci: true, mosquitto: false }).length, 2);
  assert.equal(environmentProblems(["hello"], here).length, 1);
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
