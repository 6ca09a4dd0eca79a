import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The page's files, served from memory. Everything ships in the package: the viewer's own files
// beside this module (assets/), and the chart library's built files with its licence, copied into
// vendor/ by the build from the `uplot` devDependency (scripts/copy-assets.js). Run from a source
// checkout, the library is read from node_modules instead. Nothing is ever fetched from a network.

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ASSET_DIR = path.join(HERE, 'assets');
const VENDOR_DIR = path.join(HERE, 'vendor');

/** Vendored file name → its path inside the uplot package (scripts/copy-assets.js copies the same list). */
export const VENDOR_FILES: Readonly<Record<string, string>> = {
  'uPlot.iife.min.js': 'dist/uPlot.iife.min.js',
  'uPlot.min.css': 'dist/uPlot.min.css',
  'uPlot.LICENSE.txt': 'LICENSE',
};

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
};

export interface Asset {
  body: Buffer;
  contentType: string;
}

let assets: Map<string, Asset> | undefined;

/** URL path → file, read once. Throws when the package's files are missing (a broken install). */
export function loadAssets(): Map<string, Asset> {
  if (assets !== undefined) return assets;
  const loaded = new Map<string, Asset>();
  for (const name of readdirSync(ASSET_DIR)) {
    const contentType = CONTENT_TYPES[path.extname(name)];
    if (contentType === undefined) continue;
    loaded.set(`/assets/${name}`, { body: readFileSync(path.join(ASSET_DIR, name)), contentType });
  }
  const index = loaded.get('/assets/index.html');
  // eslint-disable-next-line faultline/only-coded-errors -- a broken install, reported once when the viewer starts
  if (index === undefined) throw new Error(`the viewer's page is missing from ${ASSET_DIR}`);
  loaded.set('/', index);
  const vendorDir = existsSync(VENDOR_DIR) ? undefined : uplotPackageDir();
  for (const [name, inPackage] of Object.entries(VENDOR_FILES)) {
    const file = vendorDir === undefined ? path.join(VENDOR_DIR, name) : path.join(vendorDir, inPackage);
    loaded.set(`/vendor/${name}`, { body: readFileSync(file), contentType: CONTENT_TYPES[path.extname(name)] ?? 'application/octet-stream' });
  }
  assets = loaded;
  return assets;
}

function uplotPackageDir(): string {
  try {
    return path.dirname(createRequire(import.meta.url).resolve('uplot/package.json'));
  } catch (error) {
    // eslint-disable-next-line faultline/only-coded-errors -- a broken install, reported once when the viewer starts
    throw new Error(`the viewer's chart library is missing: neither ${VENDOR_DIR} (built package) nor the uplot package (source checkout) is there`, { cause: error });
  }
}
