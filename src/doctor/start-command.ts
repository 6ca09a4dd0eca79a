import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Check } from './doctor.ts';
import type { PackageJson } from './package-copies.ts';

/** Shell-style words: quotes group, nothing else is interpreted. */
export function words(command: string): string[] {
  return [...command.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((match) => match[1] ?? match[2] ?? match[3] ?? '');
}

/** Node flags that take their value as the next word. */
const VALUE_FLAGS = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader', '--env-file', '--env-file-if-exists', '--conditions', '-C', '--input-type', '--title', '--inspect-port', '--watch-path']);

export interface PreloadFlag {
  flag: '--import' | '--require';
  value: string;
}

/** `--import X`, `--import=X`, `--require X`, `-r X` among node's arguments, in order. */
export function preloadFlags(args: readonly string[]): PreloadFlag[] {
  const found: PreloadFlag[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const flag = name === '--import' ? '--import' : name === '--require' || name === '-r' ? '--require' : undefined;
    if (flag === undefined) continue;
    const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
    if (value !== undefined) found.push({ flag, value });
  }
  return found;
}

const REGISTER_FILES = ['register.js', 'register.ts'].map((file) => fileURLToPath(new URL(`../${file}`, import.meta.url)));

/** `faultline/register`, or a path to this package's register module. */
export function isFaultlineRegister(value: string, cwd: string = process.cwd()): boolean {
  if (/^faultline\/register(\.js)?$/.test(value) || /[\\/]faultline[\\/](dist[\\/])?register\.js$/.test(value)) return true;
  const file = value.startsWith('file:') ? fileURLToPath(value) : path.resolve(cwd, value);
  return REGISTER_FILES.includes(file);
}

export interface StartCommand {
  /** Where the command came from, for messages: `scripts.start`, `--entry`, `package.json main`. */
  source: string;
  command?: string;
  /** Node's own arguments before the entry. */
  nodeArgs: string[];
  entry?: string;
}

/** The app's entry and node arguments from `--entry`, else `scripts.start`, else `main`, else `index.js`. */
export function findStartCommand(manifest: PackageJson | undefined, entryOption: string | undefined): StartCommand {
  const command = manifest?.scripts?.start;
  const nodeArgs: string[] = [];
  let scriptEntry: string | undefined;
  if (command !== undefined) {
    const parts = words(command);
    const node = parts.findIndex((word) => word === 'node' || word.endsWith('/node'));
    if (node >= 0) {
      for (let i = node + 1; i < parts.length; i++) {
        const word = parts[i] ?? '';
        if (!word.startsWith('-')) {
          scriptEntry = word;
          break;
        }
        nodeArgs.push(word);
        if (VALUE_FLAGS.has(word) && i + 1 < parts.length) nodeArgs.push(parts[++i] ?? '');
      }
    }
  }
  if (entryOption !== undefined) return { source: '--entry', command, nodeArgs, entry: entryOption };
  if (scriptEntry !== undefined) return { source: 'scripts.start', command, nodeArgs, entry: scriptEntry };
  if (manifest?.main !== undefined) return { source: 'package.json main', command, nodeArgs, entry: manifest.main };
  return { source: 'the default', command, nodeArgs, entry: 'index.js' };
}

/** From the command line: does the start script (or NODE_OPTIONS) preload faultline/register? */
export function startCommandCheck(start: StartCommand, nodeOptions: string | undefined, cwd: string): Check {
  const id = 'preload';
  const fromScript = preloadFlags(start.nodeArgs).filter((flag) => isFaultlineRegister(flag.value, cwd));
  const fromOptions = preloadFlags(words(nodeOptions ?? '')).filter((flag) => isFaultlineRegister(flag.value, cwd));
  const all = [...fromScript, ...fromOptions];
  const data = { startScript: start.command, nodeOptions, flags: all };
  const required = all.find((flag) => flag.flag === '--require');
  if (required !== undefined) {
    return { id, status: 'fail', summary: `--require ${required.value}: faultline/register is an ES module with top-level await, which --require cannot load`, fix: 'use --import faultline/register instead', data };
  }
  if (all.length > 0) {
    const where = fromScript.length > 0 ? 'the start script' : 'NODE_OPTIONS';
    return { id, status: 'pass', summary: `${where} preloads faultline with --import ${all[0]?.value ?? ''} (whether it ran before the app's modules, only the running app can tell)`, data };
  }
  const entry = start.entry ?? 'app.js';
  const seen = start.command === undefined ? 'package.json has no start script and NODE_OPTIONS' : 'neither the start script nor NODE_OPTIONS';
  return {
    id,
    status: 'warn',
    summary: `${seen} preloads faultline/register: fine only if the app calls start() before it imports anything to instrument`,
    fix: `start the app with node --import faultline/register ${entry} (or put --import faultline/register in NODE_OPTIONS)`,
    data,
  };
}
