import fs from 'node:fs';
import type { ExportSignal } from './export-worker-protocol.ts';

/**
 * Names in the spool folder. Each process writes one file per signal, `<signal>-<pid>-<start ms>`:
 *
 * - `….jsonl.part` while its writer may still append to it;
 * - `….jsonl` once complete (the writer sealed it at exit, or a later process found the writer
 *   dead): only these are shipped, and only these match a Collector `otlpjsonfile` include of `*.jsonl`;
 * - `….jsonl.shipping-<pid>-<start ms>` while a process ships it (claimed by an atomic rename, so two
 *   processes never ship one file);
 * - `….jsonl.corrupt` when it held lines that are not OTLP/JSON: kept aside for a person to look at.
 */
export type SpoolFileState = 'open' | 'complete' | 'shipping' | 'corrupt';

export interface SpoolFileName {
  name: string;
  signal: ExportSignal;
  /** `<pid>-<start ms>` of the process that wrote the file. */
  writer: string;
  state: SpoolFileState;
  /** The claiming process, for `shipping`. */
  claimer: string | undefined;
  /** The complete file's name this one stands for. */
  completeName: string;
}

const PATTERN = /^(traces|metrics|logs)-(\d+-\d+(?:-r\d+)?)\.jsonl(?:\.(part|corrupt)|\.shipping-(\d+-\d+))?$/;

export function parseSpoolFileName(name: string): SpoolFileName | undefined {
  const match = PATTERN.exec(name);
  if (match === null) return undefined;
  const [, signal = '', writer = '', suffix, claimer] = match;
  const state: SpoolFileState = claimer !== undefined ? 'shipping' : suffix === 'part' ? 'open' : suffix === 'corrupt' ? 'corrupt' : 'complete';
  return { name, signal: signal as ExportSignal, writer, state, claimer, completeName: `${signal}-${writer}.jsonl` };
}

export function openFileName(signal: ExportSignal, processKey: string): string {
  return `${signal}-${processKey}.jsonl.part`;
}

export function completeFileName(signal: ExportSignal, processKey: string): string {
  return `${signal}-${processKey}.jsonl`;
}

/**
 * A complete file's name for `signal` written by `processKey` that does not exist yet in `dir`: the
 * process's own name first, then `-r1`, `-r2`, … (a process seals more than once when telemetry
 * keeps arriving after its exit deadline, and ships remainders under its own key).
 */
export function freeCompleteName(dir: string, signal: ExportSignal, processKey: string): string {
  for (let round = 0; ; round += 1) {
    const name = completeFileName(signal, round === 0 ? processKey : `${processKey}-r${round}`);
    if (!fs.existsSync(`${dir}/${name}`)) return name;
  }
}

/** `<pid>-<start ms>` of this process. */
export function processKeyOf(pid: number, startedAt: number): string {
  return `${pid}-${startedAt}`;
}

/**
 * Whether the process named by `key` (`<pid>-<start ms>`, possibly with a `-r<n>` suffix) may still
 * be running. A container restarts its app under the same pid, so a key with this process's pid
 * and another start time is a previous run, dead; any other pid is asked with signal 0.
 */
export function mayBeAlive(key: string, ownKey: string): boolean {
  const [pidText, startText] = key.split('-');
  const [ownPid, ownStart] = ownKey.split('-');
  if (pidText === ownPid) return startText === ownStart;
  const pid = Number(pidText);
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: unknown }).code === 'EPERM';
  }
}

/** Whether the folder holds anything a process could ship (a cheap look on the main thread). */
export function spoolHasShippableFiles(dir: string): boolean {
  try {
    return fs.readdirSync(dir).some((name) => {
      const state = parseSpoolFileName(name)?.state;
      return state === 'complete' || state === 'open' || state === 'shipping';
    });
  } catch { // eslint-disable-line faultline/no-blind-catch -- a probe that cannot look answers no
    return false;
  }
}
