import type { OtlpReceiver } from 'faultline/receiver';
import { cardDigits, TEST_CARDS } from '../test-cards.ts';

export interface RedactionReport {
  /** Test card numbers found anywhere in the exported spans and logs (should be 0). */
  unredacted: number;
  /** How often the card mask appears in them. */
  masked: number;
  spans: number;
  logs: number;
}

function occurrences(haystack: string, needle: string): number {
  let count = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + needle.length)) count += 1;
  return count;
}

/** Looks for the demo's card numbers, spaced or not, in everything the services exported. */
export function checkRedaction(receiver: OtlpReceiver): RedactionReport {
  const exported = JSON.stringify([receiver.spans, receiver.logs]);
  let unredacted = 0;
  for (const number of Object.values(TEST_CARDS)) {
    unredacted += occurrences(exported, number) + occurrences(exported, cardDigits(number));
  }
  return { unredacted, masked: occurrences(exported, '[REDACTED:card]'), spans: receiver.spans.length, logs: receiver.logs.length };
}
