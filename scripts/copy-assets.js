// tsc copies no non-TypeScript files; the OTLP receiver needs its .proto definitions beside the built
// code, and the viewer its page and the chart library's built files (with their licence).
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { VENDOR_FILES } from '../dist/receiver/viewer/static-assets.js';

const assets = [['src/receiver/proto', 'dist/receiver/proto']];
for (const [from, to] of assets) {
  if (existsSync(from)) cpSync(from, to, { recursive: true });
}

// The page's own files, without the tsconfig.json that type-checks them.
cpSync('src/receiver/viewer/assets', 'dist/receiver/viewer/assets', { recursive: true, filter: (source) => !source.endsWith('.json') });

// Vendored from the devDependency at build time, so the published package needs no network and no
// runtime dependency for the chart.
const uplotDir = path.dirname(createRequire(import.meta.url).resolve('uplot/package.json'));
mkdirSync('dist/receiver/viewer/vendor', { recursive: true });
for (const [name, inPackage] of Object.entries(VENDOR_FILES)) {
  cpSync(path.join(uplotDir, inPackage), path.join('dist/receiver/viewer/vendor', name));
}
