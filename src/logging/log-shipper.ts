import type { FaultlineConfig } from '../config.ts';
import { getRuntime } from '../runtime.ts';
import { droppedItems, recordDrop, type DropReason } from '../export/drops.ts';
import type { ExportWorker } from '../export/export-worker-client.ts';
import { getExportWorker } from '../export/export-worker-instance.ts';
import { LineBytes } from '../export/line-bytes.ts';

const BATCH_LINES = 512;
const BATCH_CHARS = 1 << 20;
/** Longest a written line waits before it is handed to the worker. */
const POST_DELAY_MS = 20;

/**
 * Hands log lines to the export worker, which maps them to OTLP log records and sends them.
 *
 * - Bounded: lines the worker has not yet taken into its export queue count against
 *   `config.logBufferLines` (and their characters against `config.logBufferBytes`); past either,
 *   new lines are dropped and counted (reason `queue_full`), or go straight to the spool when one
 *   is configured, so a stalled worker or collector costs bounded memory, never an unbounded buffer.
 * - Flushed by the lifecycle: `flush()` is registered in the runtime's flush hooks.
 * - Flushed on `process.exit()`: the exit hand-off posts the last lines, and the export worker's
 *   exit flush (export-worker-client.ts) waits for them synchronously.
 */
export class LogShipper {
  readonly #worker: ExportWorker;
  readonly #bufferLines: number;
  readonly #bufferChars: number;
  #batch = new LineBytes();
  #batchMessageKey = 'msg';
  #overflow = new LineBytes();
  #overflowMessageKey = 'msg';
  #postScheduled = false;
  #posted = 0;
  #postedChars = 0;
  #acceptedSeen = 0;
  #acceptedCharsSeen = 0;

  constructor(config: FaultlineConfig, worker: ExportWorker) {
    this.#worker = worker;
    this.#bufferLines = config.logBufferLines;
    this.#bufferChars = config.logBufferBytes;
  }

  /** Queues one rendered pino line (newline included) for export. Never throws, never blocks. */
  write(line: string, messageKey: string): void {
    if (this.#worker.stopped) {
      this.#drop('shutdown', 1, 'export worker stopped');
      return;
    }
    if (this.#batch.count > 0 && messageKey !== this.#batchMessageKey) this.#post();
    if (this.#overBuffer(line.length)) {
      this.#acceptedCharsSeen = this.#worker.logCharsAccepted();
      this.#acceptedSeen = this.#worker.logLinesAccepted();
      if (this.#overBuffer(line.length)) {
        this.#overflowLine(line, messageKey);
        return;
      }
    }
    this.#batch.add(line);
    this.#batchMessageKey = messageKey;
    if (this.#batch.count >= BATCH_LINES || this.#batch.chars >= BATCH_CHARS) this.#post();
    else this.#schedulePost();
  }

  /** Tells the worker the labels of custom levels, for the records' severity text. */
  registerLevels(labels: Record<number, string>): void {
    this.#worker.postLevels(labels);
  }

  /** Resolves when every line written so far has been exported or counted, or at the deadline. */
  async flush(timeoutMs: number): Promise<void> {
    this.#post();
    await this.#worker.flush(timeoutMs);
  }

  /** The exit hand-off: whatever waits here goes to the worker now; the exit flush waits for it. */
  handOffAtExit(): void {
    this.#post();
  }

  #schedulePost(): void {
    if (this.#postScheduled) return;
    // A hand-off per event-loop turn cost ~100 µs per line at one or two lines a turn; waiting a
    // few milliseconds batches them. Flushes (crash, signal, exit) post at once.
    this.#postScheduled = true;
    setTimeout(() => {
      this.#postScheduled = false;
      this.#post();
    }, POST_DELAY_MS).unref();
  }

  /** A line past the buffer's bounds: to the spool when there is one, else dropped and counted. */
  #overflowLine(line: string, messageKey: string): void {
    if (!this.#worker.hasSpool) {
      const bound = this.#outstandingUnaccepted() >= this.#bufferLines ? `FAULTLINE_LOG_BUFFER_LINES=${this.#bufferLines}` : `FAULTLINE_LOG_BUFFER_BYTES=${this.#bufferChars}`;
      this.#drop('queue_full', 1, bound);
      return;
    }
    if (this.#overflow.count > 0 && messageKey !== this.#overflowMessageKey) this.#postOverflow();
    this.#overflow.add(line);
    this.#overflowMessageKey = messageKey;
    if (this.#overflow.count >= BATCH_LINES || this.#overflow.chars >= BATCH_CHARS) this.#postOverflow();
    else this.#schedulePost();
  }

  #outstandingUnaccepted(): number {
    return this.#posted + this.#batch.count - this.#acceptedSeen;
  }

  /**
   * Whether one more line would pass either bound on what the worker has not taken in yet. Long
   * lines (stacks, big objects) are what fill memory when the collector is down, so characters are
   * bounded as well as lines; a single line longer than the whole bound still goes when nothing waits.
   */
  #overBuffer(lineChars: number): boolean {
    if (this.#outstandingUnaccepted() >= this.#bufferLines) return true;
    const pendingChars = this.#postedChars + this.#batch.chars - this.#acceptedCharsSeen;
    return pendingChars > 0 && pendingChars + lineChars > this.#bufferChars;
  }

  #post(): void {
    this.#postOverflow();
    this.#postBatch(this.#batch, this.#batchMessageKey, false);
  }

  /** The overflow's lines go straight to the spool: the worker counts them as taken in at once. */
  #postOverflow(): void {
    this.#postBatch(this.#overflow, this.#overflowMessageKey, true);
  }

  #postBatch(batch: LineBytes, messageKey: string, spool: boolean): void {
    const count = batch.count;
    if (count === 0) return;
    const chars = batch.chars;
    if (this.#worker.postLines(batch.take(), count, messageKey, spool)) {
      this.#posted += count;
      this.#postedChars += chars;
    } else this.#drop('shutdown', count, 'export worker stopped');
  }

  #drop(reason: DropReason, lines: number, detail: string): void {
    recordDrop('logs', reason, lines, detail);
  }
}

const SHIPPER_KEY = Symbol.for('faultline.logShipper.v2');

type ShipperHolder = typeof globalThis & { [SHIPPER_KEY]?: LogShipper | null };

/** True when the config asks for logs over OTLP (faultline enabled, OTEL_LOGS_EXPORTER includes otlp). */
export function logsGoToOtlp(config: FaultlineConfig): boolean {
  return !config.disabled && config.logsExporter.includes('otlp');
}

/**
 * The process's one log shipper (shared by every logger and every copy of faultline), started on
 * first use; undefined when logs are not exported over OTLP or the export worker could not start.
 */
export function getLogShipper(): LogShipper | undefined {
  const holder = globalThis as ShipperHolder;
  const existing = holder[SHIPPER_KEY];
  if (existing !== undefined) return existing ?? undefined;
  const config = getRuntime().config;
  const worker = logsGoToOtlp(config) ? getExportWorker() : undefined;
  const shipper = worker === undefined ? null : new LogShipper(config, worker);
  holder[SHIPPER_KEY] = shipper;
  if (shipper !== null) {
    const runtime = getRuntime();
    runtime.flushHooks.add((timeoutMs) => shipper.flush(timeoutMs));
    runtime.exitHandOffs.add(() => {
      shipper.handOffAtExit();
    });
  }
  return shipper ?? undefined;
}

/** True once a createLogger line has started the shipper (in any copy of faultline). */
export function logShipperStarted(): boolean {
  return (globalThis as ShipperHolder)[SHIPPER_KEY] != null;
}

/**
 * Log lines that will never reach the collector since the process started: dropped because the
 * buffer was full, failed to export, refused by the spool, or still unexported at the shutdown
 * deadline. Also counted in the `faultline.telemetry.dropped{signal="logs"}` metric.
 */
export function droppedLogLines(): number {
  return droppedItems('logs');
}
