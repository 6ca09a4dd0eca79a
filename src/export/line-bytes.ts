/**
 * How log lines travel to the worker: as UTF-8 in a buffer outside the JavaScript heap, handed over
 * (transferred, not copied) in one message per batch.
 *
 * Lines wait up to a few milliseconds for their batch. Kept as strings, a batch of error lines with
 * stacks (tens of KiB) was alive at nearly every young-generation collection under load: half of
 * what survived them, and what makes V8 grow the app's heap. Encoded at once, the string is garbage
 * as soon as pino is done with it.
 *
 * pino lines are JSON with their newlines escaped, so a raw newline only ends a line: the batch is
 * the lines joined by newlines, each terminated.
 */
const INITIAL_BYTES = 16 * 1024;
const NEWLINE = 10;
const EMPTY = Buffer.alloc(0);

export class LineBytes {
  #bytes: Buffer = EMPTY;
  #length = 0;
  #count = 0;
  #chars = 0;

  /** Lines added since the last take. */
  get count(): number {
    return this.#count;
  }

  /** Characters of those lines, newline included, as the worker counts them when it takes them in. */
  get chars(): number {
    return this.#chars;
  }

  /** Adds one line; a missing final newline is added. Returns the characters counted for it. */
  add(line: string): number {
    const last = line.length - 1;
    const terminated = last >= 0 && line.charCodeAt(last) === NEWLINE;
    // A raw newline inside would split the line in two on the other side; in JSON it can only be
    // whitespace between tokens, so a space reads the same.
    const inner = line.indexOf('\n');
    if (inner !== -1 && inner < last) line = (terminated ? line.slice(0, last) : line).replaceAll('\n', ' ') + (terminated ? '\n' : '');
    const chars = terminated ? line.length : line.length + 1;
    // Three bytes per UTF-16 unit is UTF-8's worst case: one check, no measuring pass.
    this.#reserve(line.length * 3 + 1);
    this.#length += this.#bytes.write(line, this.#length, 'utf8');
    if (!terminated) this.#bytes[this.#length++] = NEWLINE;
    this.#count += 1;
    this.#chars += chars;
    return chars;
  }

  /** The batch so far, on an ArrayBuffer of its own (to transfer); the builder starts a new one. */
  take(): Uint8Array {
    const batch = new Uint8Array(this.#bytes.buffer, this.#bytes.byteOffset, this.#length);
    this.#bytes = EMPTY;
    this.#length = 0;
    this.#count = 0;
    this.#chars = 0;
    return batch;
  }

  #reserve(bytes: number): void {
    const needed = this.#length + bytes;
    if (needed <= this.#bytes.length) return;
    let size = Math.max(INITIAL_BYTES, this.#bytes.length * 2);
    while (size < needed) size *= 2;
    // Not from Buffer's shared pool: the batch's ArrayBuffer is transferred, which detaches it.
    const grown = Buffer.allocUnsafeSlow(size);
    this.#bytes.copy(grown, 0, 0, this.#length);
    this.#bytes = grown;
  }
}

/** The lines of a batch made by LineBytes, without their newlines. */
export function decodeLines(batch: Uint8Array): string[] {
  const text = Buffer.from(batch.buffer, batch.byteOffset, batch.byteLength).toString('utf8');
  const lines = text.split('\n');
  // Every line ends with a newline: the last piece is the empty rest.
  lines.pop();
  return lines;
}
