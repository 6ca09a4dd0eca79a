/** Collects items into one export's payload: an array of them, or bytes already encoded. */
export interface BatchBuilder<T, Payload> {
  add(item: T): void;
  readonly count: number;
  build(): Payload;
}

/** The plain builder: the export receives the items themselves. */
export function arrayBatch<T>(): BatchBuilder<T, T[]> {
  const items: T[] = [];
  return {
    add: (item) => items.push(item),
    get count() {
      return items.length;
    },
    build: () => items,
  };
}

/** A payload ready for one export, and how many items it carries. */
export interface SealedBatch<Payload> {
  payload: Payload;
  count: number;
}

/**
 * Items grouped into export batches of at most `maxBatchSize` as they arrive: full batches are
 * sealed at once, and taking a batch seals the partial one when no full one waits. What is queued
 * and what is exported when is decided by the owner (BatchQueue on the main thread, the log worker).
 */
export class Batches<T, Payload> {
  readonly #sealed: SealedBatch<Payload>[] = [];
  readonly #maxBatchSize: number;
  readonly #newBatch: () => BatchBuilder<T, Payload>;
  #open: BatchBuilder<T, Payload> | undefined;
  #size = 0;

  constructor(maxBatchSize: number, newBatch: () => BatchBuilder<T, Payload>) {
    this.#maxBatchSize = maxBatchSize;
    this.#newBatch = newBatch;
  }

  /** Items added and not yet taken. */
  get size(): number {
    return this.#size;
  }

  /** Whether a full batch is waiting. */
  get hasFullBatch(): boolean {
    return this.#sealed.length > 0;
  }

  add(item: T): void {
    this.#open ??= this.#newBatch();
    this.#open.add(item);
    this.#size += 1;
    if (this.#open.count >= this.#maxBatchSize) this.#seal();
  }

  /** The oldest batch: a full one, or else what has gathered so far. */
  take(): SealedBatch<Payload> | undefined {
    if (this.#sealed.length === 0) this.#seal();
    const batch = this.#sealed.shift();
    if (batch !== undefined) this.#size -= batch.count;
    return batch;
  }

  #seal(): void {
    const open = this.#open;
    if (open === undefined || open.count === 0) return;
    this.#open = undefined;
    this.#sealed.push({ payload: open.build(), count: open.count });
  }
}
