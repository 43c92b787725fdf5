// The app's "main" module on the desktop build (lin): see hardware/boot.ts.
import main from "hardware/desktop/main";

try {
  main();
} catch (e) {
  trace(`boot failed: ${String(e)}\n${(e as Error)?.stack ?? ""}\n`);
  throw e;
}
