// The app's "main" module on the ESP32. Modules are named by their path (hardware/..., src/...) so
// that the relative imports inside them resolve the same way under mcconfig as under tsc.
import main from "hardware/main";

main();
