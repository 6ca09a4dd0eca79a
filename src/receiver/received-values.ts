import type { ReceivedValue } from './types.ts';

// Readers of received attribute values, which arrive as whatever the sender put there: each
// answers undefined (or nothing) for a value of another shape instead of trusting it.

/** A non-empty string value. */
export function receivedText(value: ReceivedValue | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A string, number or boolean value, as text. */
export function receivedScalarText(value: ReceivedValue | undefined): string | undefined {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return receivedText(value);
}

/** The strings of an array value. */
export function receivedStrings(value: ReceivedValue | undefined): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** Epoch ms of an OTLP nanosecond timestamp; undefined for 0 (unset) or anything not a number. */
export function receivedMillis(unixNano: string | undefined): number | undefined {
  if (unixNano === undefined || !/^\d+$/.test(unixNano)) return undefined;
  const ms = Number(BigInt(unixNano) / 1_000_000n);
  return ms === 0 ? undefined : ms;
}
