/**
 * A protobuf writer for the OTLP encoders: one pass, one buffer reused across exports.
 *
 * The SDK's serializer walks every batch twice (a size estimate, then the write) and allocates a
 * fresh buffer per export. Here nested messages reserve one length byte and shift their content
 * in the rare case it is 128 bytes or longer, so one pass suffices, and the buffer only grows.
 */
export class ProtobufWriter {
  #buffer: Buffer;
  pos = 0;

  constructor(initialSize = 64 * 1024) {
    this.#buffer = Buffer.allocUnsafe(initialSize);
  }

  /** Starts a new message, keeping the buffer. */
  reset(): void {
    this.pos = 0;
  }

  /** A copy of what was written: the buffer is reused, and the exporter may hold the body for retries. */
  finish(): Uint8Array {
    return Uint8Array.prototype.slice.call(this.#buffer, 0, this.pos);
  }

  #ensure(bytes: number): void {
    const needed = this.pos + bytes;
    if (needed <= this.#buffer.length) return;
    let size = this.#buffer.length * 2;
    while (size < needed) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.#buffer.copy(grown, 0, 0, this.pos);
    this.#buffer = grown;
  }

  tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  /** Unsigned values up to 2^53, and negative integers as 64-bit two's complement (ten bytes). */
  varint(value: number): void {
    this.#ensure(10);
    const buffer = this.#buffer;
    if (value >= 0 && value <= 0xffffffff) {
      let v = value >>> 0;
      while (v > 127) {
        buffer[this.pos++] = (v & 127) | 128;
        v >>>= 7;
      }
      buffer[this.pos++] = v;
      return;
    }
    let low: number;
    let high: number;
    if (value >= 0) {
      low = value >>> 0;
      high = (value / 4294967296) >>> 0;
    } else {
      const magnitude = Math.abs(value);
      low = ~(magnitude >>> 0) >>> 0;
      high = ~((magnitude / 4294967296) >>> 0) >>> 0;
      low = (low + 1) >>> 0;
      if (low === 0) high = (high + 1) >>> 0;
    }
    while (high > 0 || low > 127) {
      buffer[this.pos++] = (low & 127) | 128;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    buffer[this.pos++] = low & 127;
  }

  fixed32(value: number): void {
    this.#ensure(4);
    this.#buffer.writeUInt32LE(value >>> 0, this.pos);
    this.pos += 4;
  }

  fixed64(low: number, high: number): void {
    this.#ensure(8);
    this.#buffer.writeUInt32LE(low >>> 0, this.pos);
    this.#buffer.writeUInt32LE(high >>> 0, this.pos + 4);
    this.pos += 8;
  }

  /** An HrTime `[seconds, nanoseconds]` as fixed64 nanoseconds, exact beyond 2^53 and without BigInt. */
  hrTime(time: readonly [number, number]): void {
    const seconds = time[0];
    const nanos = time[1];
    const fromLow16 = (seconds & 65535) * 1e9;
    const fromHigh = ((seconds / 65536) >>> 0) * 1e9;
    const low = (fromLow16 >>> 0) + (((fromHigh & 65535) * 65536) >>> 0) + nanos;
    const high = Math.floor(fromLow16 / 4294967296) + ((fromHigh / 65536) >>> 0) + Math.floor(low / 4294967296);
    this.fixed64(low >>> 0, high >>> 0);
  }

  double(value: number): void {
    this.#ensure(8);
    this.#buffer.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }

  /** A length-delimited UTF-8 string. */
  string(value: string): void {
    const length = value.length;
    if (length < 128) {
      // Short strings are mostly ASCII attribute keys and values: a byte loop beats a call into C++.
      this.#ensure(length + 1);
      const buffer = this.#buffer;
      const start = this.pos;
      let at = start + 1;
      for (let i = 0; i < length; i += 1) {
        const code = value.charCodeAt(i);
        if (code > 127) {
          this.#utf8(value);
          return;
        }
        buffer[at++] = code;
      }
      buffer[start] = length;
      this.pos = at;
      return;
    }
    this.#utf8(value);
  }

  #utf8(value: string): void {
    const bytes = Buffer.byteLength(value, 'utf8');
    this.varint(bytes);
    this.#ensure(bytes);
    this.#buffer.write(value, this.pos, bytes, 'utf8');
    this.pos += bytes;
  }

  /** Length-delimited bytes. */
  bytes(value: Uint8Array): void {
    this.varint(value.length);
    this.raw(value);
  }

  /** Bytes already encoded (a cached message), without a length prefix. */
  raw(value: Uint8Array): void {
    this.#ensure(value.length);
    this.#buffer.set(value, this.pos);
    this.pos += value.length;
  }

  /** Everything another writer holds, appended without a length prefix. */
  rawFrom(other: ProtobufWriter): void {
    const length = other.pos;
    this.#ensure(length);
    other.#buffer.copy(this.#buffer, this.pos, 0, length);
    this.pos += length;
  }

  /** A trace or span ID given in hex, as length-delimited bytes; `hex` is known to be valid. */
  hexBytes(hex: string): void {
    const length = hex.length >>> 1;
    this.#ensure(length + 1);
    const buffer = this.#buffer;
    buffer[this.pos++] = length;
    for (let i = 0; i < length; i += 1) buffer[this.pos++] = (hexDigit(hex.charCodeAt(2 * i)) << 4) | hexDigit(hex.charCodeAt(2 * i + 1));
  }

  /** Opens a nested message; returns where its length goes. */
  begin(): number {
    this.#ensure(1);
    return this.pos++;
  }

  /** Closes a nested message opened by `begin`, shifting it when its length needs more than one byte. */
  end(at: number): void {
    const length = this.pos - at - 1;
    if (length < 128) {
      this.#buffer[at] = length;
      return;
    }
    const lengthBytes = length < 16384 ? 2 : length < 2097152 ? 3 : length < 268435456 ? 4 : 5;
    this.#ensure(lengthBytes - 1);
    const buffer = this.#buffer;
    buffer.copyWithin(at + lengthBytes, at + 1, this.pos);
    this.pos += lengthBytes - 1;
    let v = length;
    let write = at;
    while (v > 127) {
      buffer[write++] = (v & 127) | 128;
      v >>>= 7;
    }
    buffer[write] = v;
  }
}

function hexDigit(code: number): number {
  // '0'-'9' → 0-9, 'a'-'f' and 'A'-'F' → 10-15.
  return code <= 57 ? code - 48 : (code | 32) - 87;
}
