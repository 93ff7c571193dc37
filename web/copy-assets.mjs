// Copy CesiumJS's prebuilt bundle into the directory the exercise server serves (/cesium/).
import { cpSync, existsSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, "node_modules", "cesium", "Build", "Cesium");
const dest = join(here, "..", "src", "spacerange", "server", "static", "cesium");
if (!existsSync(join(src, "Cesium.js"))) {
  console.error(`missing ${src}: run npm ci in web/ first`);
  process.exit(1);
}
rmSync(dest, { recursive: true, force: true });
cpSync(src, dest, { recursive: true });
console.log(`copied ${src} -> ${dest}`);
