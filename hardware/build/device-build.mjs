#!/usr/bin/env node
// npm run device:build -- lin|esp32 [options]
//
// Runs Moddable's mcconfig on manifest.json the way a Moddable developer would, with $MODDABLE
// from the environment. Without $MODDABLE it builds the SDK host tools from ../shared/moddable-sdk
// (install.sh, cached) and uses those. On esp32 without a real ESP-IDF ($IDF_PATH/tools/idf.py)
// it builds the JavaScript side only: tsc, xsc and the xsl link (the generated makefile's mc.xs.c
// target), which is everything but the C compile, sdkconfig and flashing.
//
// Options:
//   --out DIR         build directory (default build/moddable)
//   --prefs-dir DIR   lin: where the app keeps Preference (default: the SDK's /tmp/)
//   --subplatform S   esp32 subplatform, e.g. esp32/nodemcu (default plain esp32)
//   --quiet           only the summary lines
// Prints what it ran, how long each step took, and (lin) the command that runs the app.
import { spawnSync, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SHARED_SDK = resolve(REPO, "../shared/moddable-sdk");

export function parseArgs(argv) {
  const o = { platform: null, out: join(REPO, "build/moddable"), prefsDir: null, subplatform: null, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--out") o.out = resolve(value());
    else if (a === "--prefs-dir") o.prefsDir = resolve(value());
    else if (a === "--subplatform") o.subplatform = value();
    else if (a === "--quiet") o.quiet = true;
    else if (a === "lin" || a === "esp32") o.platform = a;
    else throw new Error(`unknown argument '${a}' (usage: device:build -- lin|esp32 [--out DIR] [--prefs-dir DIR] [--subplatform esp32/x] [--quiet])`);
  }
  if (!o.platform) throw new Error("name a platform: device:build -- lin|esp32");
  if (o.subplatform && o.platform !== "esp32") throw new Error("--subplatform is for esp32");
  if (o.subplatform && !/^esp32\/[A-Za-z0-9_-]{1,40}$/.test(o.subplatform)) throw new Error("--subplatform looks like esp32/<board>");
  if (o.prefsDir && o.platform !== "lin") throw new Error("--prefs-dir is for lin");
  return o;
}

/** $MODDABLE if set and built, else the shared subset built by its install.sh; null if neither. */
export function findSdk({ install = true, log = console.log } = {}) {
  const env = process.env.MODDABLE;
  if (env) {
    if (!existsSync(join(env, "build/bin/lin/release/mcconfig"))) throw new Error(`$MODDABLE=${env} has no build/bin/lin/release/mcconfig: build the tools (cd $MODDABLE/build/makefiles/lin && make)`);
    return { dir: env, source: "$MODDABLE", seconds: 0 };
  }
  const script = join(SHARED_SDK, "install.sh");
  if (!install || !existsSync(script)) return null;
  const t0 = Date.now();
  log(`device:build: $MODDABLE not set; building the SDK tools from ${SHARED_SDK} (cached after the first run)`);
  const r = spawnSync("bash", [script], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  if (r.status !== 0) throw new Error(`${script} failed (exit ${r.status})`);
  const dir = r.stdout.trim().split("\n").pop();
  return { dir, source: script, seconds: (Date.now() - t0) / 1000 };
}

export function toolEnv(sdk) {
  return {
    ...process.env,
    MODDABLE: sdk,
    // mcconfig runs `tsc` from PATH: the project's own TypeScript.
    PATH: [join(sdk, "build/bin/lin/release"), join(REPO, "node_modules/.bin"), process.env.PATH].join(":"),
  };
}

/** mcconfig's xsl lists every preloaded object left writable; one count says as much. */
function filterOutput(text, quiet) {
  const lines = text.split("\n");
  const notFrozen = lines.filter((l) => /: (not frozen|no const)$/.test(l)).length;
  const kept = lines.filter((l) => l && !/: (not frozen|no const)$/.test(l) && !(quiet && /^# /.test(l)));
  return { kept, notFrozen };
}

function run(cmd, args, env, cwd, quiet) {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { env, cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const out = (r.stdout ?? "") + (r.stderr ?? "");
  const { kept, notFrozen } = filterOutput(out, quiet);
  for (const l of kept) console.log(l);
  if (notFrozen) console.log(`(xsl: ${notFrozen} preloaded objects or variables stay writable; XS copies one to RAM only when it is written)`);
  if (r.error) throw r.error;
  if (r.status !== 0 || /### Error|# typescript compile failure|### error/.test(out)) {
    throw new Error(`${cmd} ${args.join(" ")} failed (exit ${r.status})`);
  }
  return (Date.now() - t0) / 1000;
}

/** A directory `git describe` reports as v6.0: what the esp32 makefile asks of $IDF_PATH before mc.xs.c. */
function stubIdf(out) {
  const dir = join(out, "idf-version-stub");
  if (existsSync(join(dir, ".git"))) return dir;
  mkdirSync(dir, { recursive: true });
  const git = (...a) => execFileSync("git", ["-c", "user.name=device-build", "-c", "user.email=device-build@localhost", ...a], { cwd: dir, stdio: "ignore" });
  git("init", "-q", ".");
  git("commit", "-q", "--allow-empty", "-m", "ESP-IDF version stub for the JavaScript-only esp32 build");
  git("tag", "-a", "v6.0", "-m", "v6.0");
  return dir;
}

/** lin with its own Preference directory: a manifest that includes the project's and moves file.root. */
function linManifest(o) {
  if (!o.prefsDir) return join(REPO, "manifest.json");
  mkdirSync(o.prefsDir, { recursive: true });
  const path = join(o.out, "manifest-lin-prefs.json");
  writeFileSync(path, JSON.stringify({
    include: [join(REPO, "manifest.json")],
    config: { file: { root: o.prefsDir.endsWith("/") ? o.prefsDir : o.prefsDir + "/" } },
  }, null, 2));
  return path;
}

export function buildLin(o, sdk) {
  const env = toolEnv(sdk);
  const manifest = linManifest(o);
  // -i: release with instrumentation (the heartbeat's heap and chunk figures); -t build: make, but
  // do not start the simulator (the generated makefile's default target runs `pkill mcsim`).
  const seconds = run("mcconfig", ["-i", "-m", "-p", "lin", "-t", "build", "-o", o.out, manifest], env, REPO, o.quiet);
  const name = JSON.parse(readFileSync(join(REPO, "manifest.json"), "utf8")).build.NAME;
  const manifestName = o.prefsDir ? "manifest-lin-prefs" : null;
  // mcconfig names the output after the top manifest's directory unless build.NAME is set.
  const candidates = [name, manifestName].filter(Boolean).map((n) => join(o.out, "bin/lin/mc/instrument", n, "mc.so"));
  const lib = candidates.find((p) => existsSync(p));
  if (!lib) throw new Error(`mcconfig finished but no mc.so under ${join(o.out, "bin/lin/mc/instrument")}`);
  return { seconds, lib, mcsim: join(sdk, "build/bin/lin/release/mcsim") };
}

export function buildEsp32(o, sdk) {
  const env = toolEnv(sdk);
  const platform = o.subplatform ?? "esp32";
  const idf = process.env.IDF_PATH;
  if (idf && existsSync(join(idf, "tools/idf.py"))) {
    const seconds = run("mcconfig", ["-m", "-p", platform, "-t", "build", "-o", o.out, join(REPO, "manifest.json")], env, REPO, o.quiet);
    return { seconds, full: true };
  }
  // No ESP-IDF: generate the makefile, then make only its JavaScript target.
  env.IDF_PATH = stubIdf(o.out);
  let seconds = run("mcconfig", ["-p", platform, "-o", o.out, join(REPO, "manifest.json")], env, REPO, o.quiet);
  const sub = platform === "esp32" ? "" : platform.slice("esp32/".length);
  const tmp = join(o.out, "tmp/esp32", sub, "release", JSON.parse(readFileSync(join(REPO, "manifest.json"), "utf8")).build.NAME);
  const makefile = join(tmp, "makefile");
  if (!existsSync(makefile)) throw new Error(`mcconfig wrote no makefile at ${makefile}`);
  // sdkconfig.h is made by ESP-IDF; -o tells make to take it as up to date.
  const sdkconfigH = join(tmp, `xsProj-esp32/build/config/sdkconfig.h`);
  seconds += run("make", ["-C", tmp, "-f", makefile, "--no-print-directory", "-o", sdkconfigH, join(tmp, "mc.xs.c")], env, REPO, o.quiet);
  return { seconds, full: false, xs: join(tmp, "mc.xs.c") };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  mkdirSync(o.out, { recursive: true });
  const sdk = findSdk();
  if (!sdk) throw new Error("no Moddable SDK: set $MODDABLE (Moddable's getting-started guide) or provide ../shared/moddable-sdk");
  if (sdk.seconds) console.log(`device:build: SDK tools ready in ${sdk.seconds.toFixed(1)} s at ${sdk.dir}`);
  if (o.platform === "lin") {
    const r = buildLin(o, sdk.dir);
    console.log(`device:build: lin built in ${r.seconds.toFixed(1)} s: ${r.lib}`);
    console.log(`run it headless: xvfb-run -a stdbuf -oL ${r.mcsim} ${r.lib}`);
  } else {
    const r = buildEsp32(o, sdk.dir);
    if (r.full) console.log(`device:build: esp32 firmware built in ${r.seconds.toFixed(1)} s`);
    else console.log(`device:build: esp32 JavaScript side (tsc, xsc, xsl) built in ${r.seconds.toFixed(1)} s: ${r.xs}\n(no ESP-IDF at $IDF_PATH: the C modules, sdkconfig and the firmware image were not built)`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`device:build: ${e.message}`);
    process.exit(1);
  });
}
