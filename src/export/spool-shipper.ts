import fs from 'node:fs';
import path from 'node:path';
import type { ExportSignal } from './export-worker-protocol.ts';
import { countItems, REQUEST_FIELDS } from './otlp-json.ts';
import { freeCompleteName, mayBeAlive, parseSpoolFileName, type SpoolFileName } from './spool-files.ts';

/**
 * Ships what earlier processes left in the spool folder, in the export worker, in the background
 * after start-up. A file is claimed by renaming it (atomic: of two processes sharing the folder,
 * one wins, the other skips it), each line is sent as an OTLP/JSON export request, and the file is
 * deleted only once the collector accepted every line. When the collector refuses a line, the lines
 * not yet accepted go back into the folder as a complete file of their own and shipping stops until
 * the next start, so nothing is sent twice.
 */
export interface ShipEvents {
  /** Sends one OTLP/JSON request line; resolves true when the collector accepted it. */
  send(signal: ExportSignal, line: string): Promise<boolean>;
  shipped(signal: ExportSignal, items: number): void;
  corrupt(signal: ExportSignal, lines: number, file: string): void;
  warn(key: string, message: string): void;
}

export interface ShipOptions {
  dir: string;
  processKey: string;
  /** Signals this process exports over OTLP; files of the others stay for a process that does. */
  signals: ReadonlySet<ExportSignal>;
}

export async function shipSpool(options: ShipOptions, events: ShipEvents): Promise<void> {
  let names: string[];
  try {
    names = fs.readdirSync(options.dir);
  } catch { // eslint-disable-line faultline/no-blind-catch -- no folder yet: nothing was spooled
    return;
  }
  const files = names.map(parseSpoolFileName).filter((file): file is SpoolFileName => file !== undefined);
  const complete = new Set<string>();
  for (const file of files) {
    // Open files of a writer that died, and claims of a shipper that died, become shippable again.
    const orphaned =
      (file.state === 'open' && !mayBeAlive(file.writer, options.processKey)) ||
      (file.state === 'shipping' && file.claimer !== undefined && !mayBeAlive(file.claimer, options.processKey));
    if (orphaned && rename(options.dir, file.name, file.completeName)) complete.add(file.completeName);
    else if (file.state === 'complete') complete.add(file.name);
  }
  const ordered = [...complete].map((name) => ({ name, mtimeMs: mtime(path.join(options.dir, name)) })).sort((a, b) => a.mtimeMs - b.mtimeMs);
  for (const { name } of ordered) {
    const parsed = parseSpoolFileName(name);
    if (parsed === undefined || !options.signals.has(parsed.signal)) continue;
    const claimed = `${name}.shipping-${options.processKey}`;
    if (!rename(options.dir, name, claimed)) continue; // another process took it
    const outcome = await shipFile(options, parsed.signal, claimed, name, () => freeCompleteName(options.dir, parsed.signal, options.processKey), events);
    if (outcome === 'collector-refused') return;
  }
}

async function shipFile(
  options: ShipOptions,
  signal: ExportSignal,
  claimed: string,
  originalName: string,
  remainderName: () => string,
  events: ShipEvents,
): Promise<'done' | 'collector-refused'> {
  const full = path.join(options.dir, claimed);
  let text: string;
  try {
    text = fs.readFileSync(full, 'utf8');
  } catch (error) {
    events.warn('spool-read', `could not read the spool file ${claimed}: ${(error as Error).message}`);
    return 'done';
  }
  const lines = text.split('\n').filter((line) => line !== '');
  const corrupt: string[] = [];
  for (const [index, line] of lines.entries()) {
    let request: unknown;
    try {
      request = JSON.parse(line);
    } catch { // eslint-disable-line faultline/no-blind-catch -- a line that is not JSON is counted as corrupt below
      request = undefined;
    }
    if (request === null || typeof request !== 'object' || !Array.isArray((request as Record<string, unknown>)[REQUEST_FIELDS[signal]])) {
      corrupt.push(line);
      continue;
    }
    if (!(await events.send(signal, line))) {
      // What the collector has not accepted yet goes back, whole, as a file of its own.
      writeComplete(options.dir, remainderName(), lines.slice(index).join('\n') + '\n', events);
      finish(options.dir, claimed, originalName, corrupt, signal, events);
      return 'collector-refused';
    }
    events.shipped(signal, countItems(signal, request));
  }
  finish(options.dir, claimed, originalName, corrupt, signal, events);
  return 'done';
}

/** Deletes the claimed file; lines that were not OTLP/JSON are kept aside in a `.corrupt` file. */
function finish(dir: string, claimed: string, originalName: string, corrupt: string[], signal: ExportSignal, events: ShipEvents): void {
  if (corrupt.length > 0) {
    const aside = `${originalName}.corrupt`;
    try {
      fs.writeFileSync(path.join(dir, aside), corrupt.join('\n') + '\n');
    } catch { // eslint-disable-line faultline/no-blind-catch -- the count and the warning still say what was lost
    }
    events.corrupt(signal, corrupt.length, aside);
  }
  try {
    fs.unlinkSync(path.join(dir, claimed));
  } catch { // eslint-disable-line faultline/no-blind-catch -- already gone
  }
}

function writeComplete(dir: string, name: string, text: string, events: ShipEvents): void {
  const temporary = path.join(dir, `.${name}.tmp`);
  try {
    fs.writeFileSync(temporary, text);
    fs.renameSync(temporary, path.join(dir, name));
  } catch (error) {
    events.warn('spool-remainder', `could not put unshipped telemetry back into the spool: ${(error as Error).message}`);
  }
}

function rename(dir: string, from: string, to: string): boolean {
  try {
    fs.renameSync(path.join(dir, from), path.join(dir, to));
    return true;
  } catch { // eslint-disable-line faultline/no-blind-catch -- a probe that cannot look answers no
    return false;
  }
}

function mtime(full: string): number {
  try {
    return fs.statSync(full).mtimeMs;
  } catch { // eslint-disable-line faultline/no-blind-catch -- a file gone meanwhile has no age
    return 0;
  }
}
