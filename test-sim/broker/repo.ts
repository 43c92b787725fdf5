import { fileURLToPath } from "node:url";

/** The repository root, from wherever the bundle runs (dist/*.js or dist/tests/*.js). */
export const REPO = fileURLToPath(new URL(import.meta.url.includes("/dist/tests/") ? "../../" : "../", import.meta.url));
