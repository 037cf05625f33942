// Builds the officer app's service worker (issue 17) with Workbox, at `make install`:
// - copies Workbox's runtime from node_modules to build/workbox (served as static/vendor/workbox/),
// - writes build/service-worker.js from frontend/service-worker.js with the list of the app's own
//   files and their revisions (Workbox's injectManifest), which the worker keeps at install.
// build/ is not committed: it is made from the pinned workbox-build (package-lock.json).
import { copyWorkboxLibraries, injectManifest } from "workbox-build";
import { rm, rename } from "node:fs/promises";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const pkg = (name) => require(`${name}/package.json`).version;

await rm("build", { recursive: true, force: true });
const folder = await copyWorkboxLibraries("build");
await rename(`build/${folder}`, "build/workbox");

const { count, size, warnings } = await injectManifest({
  swSrc: "frontend/service-worker.js",
  swDest: "build/service-worker.js",
  globDirectory: "static",
  globPatterns: ["css/site.css", "js/*.js", "icons/*.png"],
  // Only what the officer's pages load; the push branch's file is imported, not precached.
  globIgnores: ["js/sw-push.js", "js/sign-in.js", "js/dashboard.js", "js/admin-select-filter.js", "js/area-map.js"],
  additionalManifestEntries: [
    { url: "vendor/bootstrap/css/bootstrap.min.css", revision: pkg("bootstrap") },
    { url: "vendor/bootstrap/js/bootstrap.bundle.min.js", revision: pkg("bootstrap") },
    { url: "vendor/leaflet/leaflet.css", revision: pkg("leaflet") },
    { url: "vendor/leaflet/leaflet.js", revision: pkg("leaflet") },
  ],
});
for (const warning of warnings) console.warn(warning);
console.log(`build/service-worker.js: ${count} app files (${size} bytes) kept at install`);
