// Moved to src/config/utf8.ts (config validates what arrives, and must not import telemetry);
// kept so the modules that import it from here still build.
export * from "../config/utf8";
