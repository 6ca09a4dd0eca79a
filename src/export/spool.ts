import fs from 'node:fs';
import path from 'node:path';
import type { ExportSignal, SpoolSettings } from './export-worker-protocol.ts';
import { countItems } from './otlp-json.ts';
import { completeFileName, freeCompleteName, openFileName, parseSpoolFileName } from './spool-files.ts';

/**
 * The durable spool (`FAULTLINE_SPOOL_DIR`): telemetry that could not be delivered is appended, one
 * OTLP/JSON export request per line, to one file per signal of this process, synchronously (it runs
 * in the export worker, and at exit it must be on disk before the main thread lets the process end).
 *
 * The folder is bounded by `FAULTLINE_SPOOL_MAX_BYTES`: the oldest complete files (any process's)
 * go first, and what they held is counted as dropped. Nothing here throws: an unwritable folder or
 * a full disk is reported once and the telemetry is counted as dropped.
 */
export type SpoolDropReason = 'spool_full' | 'spool_unwritable';

export interface SpoolEvents {
  /** A file (another process's, or an earlier run's) deleted to keep the bound, and the items it held. */
  evicted(signal: ExportSignal, items: number, file: string): void;
  warn(key: string, message: string): void;
}

/** Why a write was refused; its items are then lost and the caller counts them. */
export interface SpoolRefusal {
  reason: SpoolDropReason;
  detail: string;
}

export class SpoolWriter {
  readonly #settings: SpoolSettings;
  readonly #events: SpoolEvents;
  readonly #fds = new Map<ExportSignal, number>();
  #folderBytes: number | undefined;
  #unwritable: string | undefined;

  constructor(settings: SpoolSettings, events: SpoolEvents) {
    this.#settings = settings;
    this.#events = events;
  }

  /** Appends one request line; a refusal says why it could not be kept. */
  write(signal: ExportSignal, line: string): SpoolRefusal | undefined {
    if (this.#unwritable !== undefined) return { reason: 'spool_unwritable', detail: this.#unwritable };
    const text = `${line}\n`;
    const bytes = Buffer.byteLength(text);
    try {
      if (!this.#makeRoom(bytes)) {
        this.#events.warn('spool-full', `the spool folder is full (FAULTLINE_SPOOL_MAX_BYTES=${this.#settings.maxBytes}); telemetry that does not fit is dropped and counted`);
        return { reason: 'spool_full', detail: `FAULTLINE_SPOOL_MAX_BYTES=${this.#settings.maxBytes}` };
      }
      fs.writeSync(this.#fd(signal), text);
      this.#folderBytes = (this.#folderBytes ?? 0) + bytes;
      return undefined;
    } catch (error) {
      this.#unwritable = `${this.#settings.dir}: ${(error as Error).message}`;
      this.#events.warn('spool-unwritable', `the spool folder cannot be written (${this.#unwritable}); undeliverable telemetry is dropped and counted instead`);
      return { reason: 'spool_unwritable', detail: this.#unwritable };
    }
  }

  /** Closes this process's files and names them complete, so that the next process ships them. */
  seal(): void {
    for (const [signal, fd] of this.#fds) {
      try {
        fs.closeSync(fd);
        const dir = this.#settings.dir;
        fs.renameSync(path.join(dir, openFileName(signal, this.#settings.processKey)), path.join(dir, freeCompleteName(dir, signal, this.#settings.processKey)));
      } catch (error) {
        this.#events.warn('spool-seal', `could not complete the spool file of ${signal}: ${(error as Error).message}`);
      }
    }
    this.#fds.clear();
  }

  #fd(signal: ExportSignal): number {
    let fd = this.#fds.get(signal);
    if (fd === undefined) {
      const { dir, processKey } = this.#settings;
      fs.mkdirSync(dir, { recursive: true });
      const open = path.join(dir, openFileName(signal, processKey));
      // Telemetry that arrives after the file was sealed (at the exit deadline) goes on in the same
      // file when no process has claimed it yet: one file per signal per process, as a rule.
      try {
        fs.renameSync(path.join(dir, completeFileName(signal, processKey)), open);
      } catch { // eslint-disable-line faultline/no-blind-catch -- not sealed yet, or already claimed: a file of its own then
      }
      fd = fs.openSync(open, 'a');
      this.#fds.set(signal, fd);
    }
    return fd;
  }

  /** Deletes the oldest complete files until `bytes` more fit under the bound. */
  #makeRoom(bytes: number): boolean {
    const max = this.#settings.maxBytes;
    if (bytes > max) return false;
    if (this.#folderBytes !== undefined && this.#folderBytes + bytes <= max) return true;
    // Other processes write to the folder too: measure it again before deleting anything.
    const files = this.#listFiles();
    this.#folderBytes = files.reduce((sum, file) => sum + file.size, 0);
    const evictable = files.filter((file) => file.evictable).sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const file of evictable) {
      if (this.#folderBytes + bytes <= max) break;
      this.#evict(file.full, file.signal);
      this.#folderBytes -= file.size;
    }
    return this.#folderBytes + bytes <= max;
  }

  #listFiles(): { full: string; size: number; mtimeMs: number; evictable: boolean; signal: ExportSignal }[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.#settings.dir);
    } catch { // eslint-disable-line faultline/no-blind-catch -- a folder that cannot be read lists nothing
      return [];
    }
    const files = [];
    for (const name of names) {
      const parsed = parseSpoolFileName(name);
      if (parsed === undefined) continue;
      const full = path.join(this.#settings.dir, name);
      try {
        const stat = fs.statSync(full);
        // Complete files and corrupt leftovers can go; open files are being written, claimed ones shipped.
        files.push({ full, size: stat.size, mtimeMs: stat.mtimeMs, evictable: parsed.state === 'complete' || parsed.state === 'corrupt', signal: parsed.signal });
      } catch { // eslint-disable-line faultline/no-blind-catch -- shipped and deleted by another process meanwhile
      }
    }
    return files;
  }

  #evict(full: string, signal: ExportSignal): void {
    let items = 0;
    try {
      const text = fs.readFileSync(full, 'utf8');
      fs.unlinkSync(full);
      for (const line of text.split('\n')) {
        if (line === '') continue;
        try {
          items += countItems(signal, JSON.parse(line));
        } catch { // eslint-disable-line faultline/no-blind-catch -- a corrupt line: nothing countable in it
        }
      }
    } catch { // eslint-disable-line faultline/no-blind-catch -- claimed or deleted by another process meanwhile
      return;
    }
    this.#events.warn('spool-evicted', `the spool folder reached FAULTLINE_SPOOL_MAX_BYTES=${this.#settings.maxBytes}; its oldest files are deleted to make room (counted as dropped)`);
    this.#events.evicted(signal, items, path.basename(full));
  }
}
