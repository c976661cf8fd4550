// Bundles gadget-page.mjs for the browser: `node build-page.mjs <out.js>`.
import { build } from "esbuild";

await build({
  entryPoints: [new URL("./gadget-page.mjs", import.meta.url).pathname],
  outfile: process.argv[2],
  bundle: true,
  platform: "browser",
  format: "iife",
  target: "es2020",
  logLevel: "error",
  define: { "process.env.NODE_ENV": '"production"', global: "globalThis" },
});
