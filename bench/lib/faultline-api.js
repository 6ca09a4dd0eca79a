// faultline's public API as the bench uses it. Names are taken from the package entry ('faultline');
// a name that src/index.ts does not export yet is loaded from its built module instead, with a note
// on stderr, so the bench runs while the public surface is still being assembled.
import process from 'node:process';
import { URL } from 'node:url';
const FALLBACK_MODULES = {
  start: 'start.js',
  shutdown: 'sdk/start.js',
  flush: 'sdk/start.js',
  droppedTelemetry: 'export/drops.js',
  defineError: 'errors/define-error.js',
  recordError: 'errors/record-error.js',
  createLogger: 'logging/create-logger.js',
};

export async function faultlineApi() {
  const entry = await import('faultline');
  const api = { ...entry };
  for (const [name, file] of Object.entries(FALLBACK_MODULES)) {
    if (typeof api[name] === 'function') continue;
    const module = await import(new URL(`../node_modules/faultline/dist/${file}`, import.meta.url).href);
    if (typeof module[name] !== 'function') throw new Error(`faultline has no ${name} (looked in the entry and dist/${file})`);
    process.stderr.write(`bench: faultline's entry does not export ${name} yet; using dist/${file}\n`);
    api[name] = module[name];
  }
  return api;
}

/** The ESM build of the @opentelemetry/api copy that faultline itself imports. */
export async function faultlineOtelApi() {
  const { createRequire } = await import('node:module');
  const { dirname, join } = await import('node:path');
  const { pathToFileURL, fileURLToPath } = await import('node:url');
  const { existsSync, readFileSync } = await import('node:fs');
  const fromFaultline = createRequire(fileURLToPath(new URL('../node_modules/faultline/package.json', import.meta.url)));
  // './package.json' is not exported: walk up from the resolved entry instead.
  let manifestPath = fromFaultline.resolve('@opentelemetry/api');
  do {
    manifestPath = join(dirname(manifestPath), '..', 'package.json');
  } while (!existsSync(manifestPath) || JSON.parse(readFileSync(manifestPath, 'utf8')).name !== '@opentelemetry/api');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  const entry = manifest.exports?.['.']?.default?.default ?? manifest.module ?? manifest.main;
  return import(pathToFileURL(join(dirname(manifestPath), entry)).href);
}
