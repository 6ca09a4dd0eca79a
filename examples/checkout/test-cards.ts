// Test card numbers (the well-known public ones payment providers document for sandboxes). They
// pass the Luhn check like real cards, which is what makes faultline's redaction mask them:
// the demo's feed shows `[REDACTED:card]` wherever one of them was logged or thrown.
export const TEST_CARDS = {
  approved: '4242 4242 4242 4242',
  approvedMastercard: '5555 5555 5555 4444',
  declined: '4000 0000 0000 0002',
  insufficientFunds: '4000 0000 0000 9995',
  fraud: '4100 0000 0000 0019',
  /** The fake gateway answers 500 for this one. */
  gatewayFails: '4000 0000 0000 0341',
  /** The fake gateway never answers for this one: the checkout's deadline fires. */
  gatewayHangs: '4000 0000 0000 0119',
} as const;

export type TestCard = keyof typeof TEST_CARDS;

/** Digits only, as the gateway compares them. */
export function cardDigits(number: string): string {
  return number.replace(/[ -]/g, '');
}
