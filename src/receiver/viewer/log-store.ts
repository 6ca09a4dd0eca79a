import type { ReceivedLogRecord } from '../types.ts';

/**
 * The last `maxRecords` log records, in arrival order, with an index by trace ID for the trace
 * view. A ring buffer: the record let go is always the oldest, which is also the first of its
 * trace's list, so the index is kept in step without a search.
 */
export class LogStore {
  readonly #ring: (ReceivedLogRecord | undefined)[];
  readonly #byTrace = new Map<string, ReceivedLogRecord[]>();
  #start = 0;
  #size = 0;
  #letGo = 0;

  constructor(maxRecords: number) {
    this.#ring = new Array<ReceivedLogRecord | undefined>(maxRecords);
  }

  /** Takes records in; returns the trace IDs that gained a record. */
  add(records: readonly ReceivedLogRecord[]): Set<string> {
    const changed = new Set<string>();
    const capacity = this.#ring.length;
    for (const record of records) {
      if (capacity === 0) {
        this.#letGo += 1;
        continue;
      }
      if (this.#size === capacity) this.#evictOldest();
      this.#ring[(this.#start + this.#size) % capacity] = record;
      this.#size += 1;
      if (record.traceId !== undefined) {
        const list = this.#byTrace.get(record.traceId);
        if (list === undefined) this.#byTrace.set(record.traceId, [record]);
        else list.push(record);
        changed.add(record.traceId);
      }
    }
    return changed;
  }

  forTrace(traceId: string): readonly ReceivedLogRecord[] {
    return this.#byTrace.get(traceId) ?? [];
  }

  /** The newest records first, at most `limit`. */
  recent(limit: number): ReceivedLogRecord[] {
    const out: ReceivedLogRecord[] = [];
    const capacity = this.#ring.length;
    for (let index = this.#size - 1; index >= 0 && out.length < limit; index--) {
      const record = this.#ring[(this.#start + index) % capacity];
      if (record !== undefined) out.push(record);
    }
    return out;
  }

  get stats(): { records: number; letGo: number } {
    return { records: this.#size, letGo: this.#letGo };
  }

  #evictOldest(): void {
    const oldest = this.#ring[this.#start];
    this.#ring[this.#start] = undefined;
    this.#start = (this.#start + 1) % this.#ring.length;
    this.#size -= 1;
    this.#letGo += 1;
    if (oldest?.traceId === undefined) return;
    const list = this.#byTrace.get(oldest.traceId);
    if (list === undefined) return;
    list.shift();
    if (list.length === 0) this.#byTrace.delete(oldest.traceId);
  }
}
