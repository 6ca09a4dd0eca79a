import { getRuntime } from '../runtime.ts';
import { boundedCopy, type CopyOptions } from './bounded-copy.ts';
import { MAX_REDACT_INPUT, REDACT_VALUE_LIMITS } from './limits.ts';
import { safeString } from './safe-read.ts';
import type { ErrorMemo } from './memo.ts';
import { capFrames, joinCappedStack, stackParts } from './stack.ts';

/**
 * One kind of secret. `pattern` must carry the `g` flag and run in linear time: it is applied to
 * error messages, stacks and log text of any shape. A named group `lead` (inside a lookbehind)
 * marks text just before the match that is masked with it.
 */
export interface RedactionPattern {
  readonly name: string;
  readonly pattern: RegExp;
  readonly replace: string | ((match: string, ...groups: string[]) => string);
  /** A cheap test the text must pass for `pattern` to have a chance; skips most patterns on most text. */
  readonly requires?: RegExp;
}

export const REDACTED = '[REDACTED]';

// Names of parameters and fields whose value is a secret. Matched at the end of a longer name too
// (`stripe_secret`, `x-api-key`, `X-Amz-Signature`): the pattern finds the name and whatever
// precedes it stays as it is.
const SECRET_NAMES =
  'api[_-]?key|apikey|access[_-]?key|secret[_-]?key|access[_-]?token|refresh[_-]?token|id[_-]?token|auth[_-]?token|' +
  'session[_-]?(?:id|token)|client[_-]?secret|private[_-]?key|credentials?|signature|passphrase|password|passwd|pwd|secret|token';

/**
 * Not a value but the start of a sentence: at the start of an unquoted value, when the name before
 * it was not quoted and the separator was a colon, a word of letters followed on the same line by
 * another word (a validation message such as "password: too short").
 */
const PROSE_AFTER_COLON = `(?!(?<=[^"'\\s]\\s*:[ \\t]*)[A-Za-z]+[,.;:!?]?[ \\t]+[A-Za-z])`;

/** Keeps the quotes around a masked value so JSON-ish text stays readable. */
function maskQuoted(_match: string, prefix: string, value: string): string {
  const quote = value.startsWith('"') ? '"' : value.startsWith("'") ? "'" : '';
  return `${prefix}${quote}${REDACTED}${quote}`;
}

function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let index = digits.length - 1; index >= 0; index--) {
    let digit = digits.charCodeAt(index) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return sum % 10 === 0;
}

/**
 * The built-in patterns, in the order they run. Exported so other writers of text (the log
 * serializer) apply exactly the same rules.
 */
export const DEFAULT_REDACTION_PATTERNS: readonly RedactionPattern[] = Object.freeze([
  {
    name: 'private-key',
    requires: /PRIVATE KEY/,
    pattern: /-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY-----|$)/g,
    replace: '[REDACTED:private-key]',
  },
  {
    // scheme://user:password@host: the password goes, the user stays (it is usually a service account).
    // Anchored on "://" (the scheme sits in a lookbehind) so the engine skips ahead quickly.
    name: 'url-credentials',
    requires: /:\/\/[^\s:@/?#]*:[^\s/?#]+@/,
    pattern: /(?<=\b[a-z][a-z0-9+.-]{0,30}):\/\/([^\s:@/?#]{0,256}):([^\s/?#]{1,1024})@/gi,
    replace: `://$1:${REDACTED}@`,
  },
  {
    name: 'authorization-header',
    requires: /authorization/i,
    pattern: /\b((?:proxy-)?authorization["']?\s*[:=]\s*["']?)(?:(?:bearer|basic|digest|token|negotiate|apikey)\s+)?[^\s"',;]+/gi,
    replace: `$1${REDACTED}`,
  },
  {
    name: 'cookie-header',
    requires: /cookie/i,
    pattern: /\b((?:set-)?cookie["']?\s*[:=]\s*)("[^"\r\n]*"|'[^'\r\n]*'|[^\r\n]+)/gi,
    replace: maskQuoted,
  },
  { name: 'jwt', requires: /eyJ/, pattern: /\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, replace: '[REDACTED:jwt]' },
  { name: 'stripe-key', requires: /_live_|_test_|whsec_/, pattern: /\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}|\bwhsec_[A-Za-z0-9]{10,}/g, replace: '[REDACTED:key]' },
  { name: 'github-token', requires: /gh[pousr]_|github_pat_/, pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g, replace: '[REDACTED:key]' },
  { name: 'gitlab-token', requires: /glpat-/, pattern: /\bglpat-[A-Za-z0-9_-]{20,}/g, replace: '[REDACTED:key]' },
  { name: 'aws-access-key', requires: /A[KSBC][IC]A/, pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/g, replace: '[REDACTED:key]' },
  { name: 'slack-token', requires: /xox/, pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g, replace: '[REDACTED:key]' },
  { name: 'google-api-key', requires: /AIza/, pattern: /\bAIza[0-9A-Za-z_-]{35}/g, replace: '[REDACTED:key]' },
  { name: 'npm-token', requires: /npm_/, pattern: /\bnpm_[A-Za-z0-9]{36}\b/g, replace: '[REDACTED:key]' },
  { name: 'sendgrid-key', requires: /SG\./, pattern: /\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}/g, replace: '[REDACTED:key]' },
  { name: 'llm-api-key', requires: /sk-/, pattern: /\bsk-(?:proj-|ant-(?:api\d\d-)?)?[A-Za-z0-9_-]{20,}/g, replace: '[REDACTED:key]' },
  {
    // token=…, "password": "…", x-api-key: …, ?pwd=… — the name stays, the value goes. After an
    // unquoted name and a colon, a word followed by more words is prose ("password: too short"),
    // not a value: it stays. Values with digits or symbols, quoted values, values after `=` and
    // after a quoted name are masked whatever follows them.
    name: 'secret-parameter',
    requires: /key|token|secret|pass|pwd|credential|signature/i,
    pattern: new RegExp(
      `((?:${SECRET_NAMES})["']?\\s*[:=]\\s*)("[^"\\r\\n]{0,4096}"|'[^'\\r\\n]{0,4096}'|${PROSE_AFTER_COLON}[^\\s&;,"'}<>\\]]+)`,
      'gi',
    ),
    replace: maskQuoted,
  },
  { name: 'bearer-token', requires: /bearer/i, pattern: /\b(bearer)\s+[A-Za-z0-9._~+/=-]{8,}/gi, replace: `$1 ${REDACTED}` },
  {
    // Anchored on "@": the local part is matched by a lookbehind and masked with the match (see
    // `lead`), which keeps the scan fast on stack traces full of `@scope/package` paths.
    name: 'email',
    requires: /[A-Za-z0-9._%+-]@[A-Za-z0-9-]+\./,
    pattern: /(?<=(?<![A-Za-z0-9._%+-])(?<lead>[A-Za-z0-9._%+-]{1,256}))@(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}(?![A-Za-z0-9-])/g,
    replace: '[REDACTED:email]',
  },
  {
    // Card numbers: a run of 13–19 digits (spaces or dashes allowed) with a valid Luhn checksum,
    // whatever the first digit: UATP cards start with 1, UnionPay and RuPay with 8, Troy with 9.
    // A run that fails Luhn (nine random numbers in ten) is left alone, and so is a fraction (.4111…).
    name: 'card-number',
    requires: /\d(?:[ -]?\d){12}/,
    pattern: /(?<![\d.])\d(?:[ -]?\d){12,18}(?!\d)/g,
    replace: (match: string) => (luhnValid(match.replace(/[ -]/g, '')) ? '[REDACTED:card]' : match),
  },
]);

const globalCopies = new WeakMap<RegExp, RegExp>();

/** User patterns must be global for `replace` to mask every occurrence. */
function asGlobal(pattern: RegExp): RegExp {
  if (pattern.global) return pattern;
  let copy = globalCopies.get(pattern);
  if (copy === undefined) {
    copy = new RegExp(pattern.source, `${pattern.flags}g`);
    globalCopies.set(pattern, copy);
  }
  return copy;
}

/** Cuts oversized text at a word boundary so no half secret is left unmatched at the edge. */
function cutAtWord(text: string): string {
  const head = text.slice(0, MAX_REDACT_INPUT);
  for (let index = head.length - 1; index >= head.length - 256; index--) {
    const char = head.charCodeAt(index);
    if (char === 32 || char === 10 || char === 13 || char === 9) return `${head.slice(0, index)} …[truncated]`;
  }
  return `${head.slice(0, MAX_REDACT_INPUT - 256)} …[truncated]`;
}

function applyPattern(text: string, pattern: RegExp, replace: RedactionPattern['replace']): string {
  if (!pattern.source.includes('(?<lead>')) {
    return typeof replace === 'string' ? text.replace(pattern, replace) : text.replace(pattern, replace);
  }
  let out = '';
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    const start = match.index - (match.groups?.lead?.length ?? 0);
    if (start < last) continue;
    const masked = typeof replace === 'string' ? replace : replace(match[0], ...match.slice(1));
    out += text.slice(last, start) + masked;
    last = match.index + match[0].length;
  }
  return out + text.slice(last);
}

interface ActivePatterns {
  redactDefaults: boolean;
  extras: unknown;
  patterns: readonly RedactionPattern[];
  /** One test that every text containing a secret passes; undefined when a pattern has no `requires`. */
  prefilter: RegExp | undefined;
}

let active: ActivePatterns | undefined;

/**
 * A single case-insensitive alternation of every pattern's `requires`: most log fields and stack
 * lines contain nothing that could be a secret, and one failed test is far cheaper than seventeen.
 * It only decides whether to look closer, so matching more than needed is harmless.
 */
function prefilterOf(patterns: readonly RedactionPattern[]): RegExp | undefined {
  const sources: string[] = [];
  for (const pattern of patterns) {
    if (pattern.requires === undefined) return undefined;
    sources.push(`(?:${pattern.requires.source})`);
  }
  return sources.length === 0 ? /(?!)/ : new RegExp(sources.join('|'), 'i');
}

function currentPatterns(): ActivePatterns {
  const config = getRuntime().config;
  if (active?.redactDefaults === config.redactDefaults && active.extras === config.redactPatterns) return active;
  const extras = Array.isArray(config.redactPatterns) ? config.redactPatterns : [];
  const builtIn = config.redactDefaults ? DEFAULT_REDACTION_PATTERNS : [];
  const custom: RedactionPattern[] = [];
  for (const pattern of extras) {
    if (pattern instanceof RegExp) custom.push({ name: 'custom', pattern: asGlobal(pattern), replace: REDACTED });
  }
  const patterns = custom.length === 0 ? builtIn : [...builtIn, ...custom];
  active = { redactDefaults: config.redactDefaults, extras: config.redactPatterns, patterns, prefilter: prefilterOf(patterns) };
  return active;
}

/** The patterns in force: the built-in set (unless `redactDefaults` is off) plus configured extras. */
export function activeRedactionPatterns(): readonly RedactionPattern[] {
  return currentPatterns().patterns;
}

/**
 * Masks secrets and personal data in text. Text longer than 64 KiB is cut first (at a word
 * boundary, so no half secret is left at the edge); it never throws.
 */
export function redactText(text: string): string {
  // Callers in plain JavaScript may pass anything.
  const input: unknown = text;
  let result = typeof input === 'string' ? input : safeString(input, MAX_REDACT_INPUT);
  if (result.length > MAX_REDACT_INPUT) result = cutAtWord(result);
  const { patterns, prefilter } = currentPatterns();
  if (prefilter?.test(result) === false) return result;
  for (const { pattern, replace, requires } of patterns) {
    try {
      if (requires !== undefined && !requires.test(result)) continue;
      result = applyPattern(result, pattern, replace);
    } catch { // eslint-disable-line faultline/no-blind-catch -- a user pattern that misbehaves must not stop the others or throw into the app
    }
  }
  return result;
}

/**
 * `capStack` with redaction: the header (the message) redacted then cut, the kept frames redacted
 * as one text. Every error thrown at one site has the same frames while only the message
 * differs, so the frames part is computed once per distinct block of frames (and frame cap and
 * set of patterns), which keeps the regular expressions off the hot path of a recurring error.
 * With `memo` (that of the error the stack was read from) the whole result is remembered for it too.
 */
export function redactedStack(stack: string, maxFrames: number, memo?: ErrorMemo): string {
  const patterns = activeRedactionPatterns();
  const remembered = memo?.stack;
  if (remembered?.stack === stack && remembered.maxFrames === maxFrames && remembered.patterns === patterns) return remembered.text;
  const { header, block } = stackParts(stack);
  let rendered = block.rendered;
  if (rendered?.maxFrames !== maxFrames || rendered.patterns !== patterns) {
    rendered = { maxFrames, patterns, text: capFrames(block.frames, maxFrames, redactText) };
    block.rendered = rendered;
  }
  const text = joinCappedStack(header, redactText, rendered.text);
  if (memo !== undefined) memo.stack = { stack, maxFrames, patterns, text };
  return text;
}

const SENSITIVE_KEY =
  /(?:password|passwd|pwd|passphrase|secret|token|apikey|api[_-]key|authorization|cookie|credentials?|privatekey|private[_-]key|sessionid|session[_-]id|cardnumber|card[_-]number|cvv|cvc)$/i;

// Field names repeat on every line; most are short literals whose hash V8 has already computed.
const MAX_CACHED_KEYS = 4096;
const MAX_CACHED_KEY_LENGTH = 64;
const sensitiveKeys = new Map<string, boolean>();

/** Whether a field name says its value is a secret (`password`, `accessToken`, `x-api-key`, …). */
export function isSensitiveKey(key: string): boolean {
  if (typeof key !== 'string' || key.length > MAX_CACHED_KEY_LENGTH) return SENSITIVE_KEY.test(key);
  let sensitive = sensitiveKeys.get(key);
  if (sensitive === undefined) {
    sensitive = SENSITIVE_KEY.test(key);
    if (sensitiveKeys.size >= MAX_CACHED_KEYS) sensitiveKeys.clear();
    sensitiveKeys.set(key, sensitive);
  }
  return sensitive;
}

// Field names repeat on every line and are rarely secrets: their redaction is remembered (short
// names only; cleared when full or when the patterns change).
const redactedKeys = new Map<string, string>();
let redactedKeysPatterns: readonly RedactionPattern[] | undefined;

function redactKey(key: string): string {
  if (key.length > MAX_CACHED_KEY_LENGTH) return redactText(key);
  const patterns = activeRedactionPatterns();
  if (patterns !== redactedKeysPatterns) {
    redactedKeys.clear();
    redactedKeysPatterns = patterns;
  }
  let redacted = redactedKeys.get(key);
  if (redacted === undefined) {
    redacted = redactText(key);
    if (redactedKeys.size >= MAX_CACHED_KEYS) redactedKeys.clear();
    redactedKeys.set(key, redacted);
  }
  return redacted;
}

const REDACT_VALUE_OPTIONS: CopyOptions = { ...REDACT_VALUE_LIMITS, mapString: redactText, mapKey: redactKey, isSensitiveKey };

/**
 * A redacted, bounded, JSON-friendly deep copy: strings pass through `redactText`, fields named
 * like secrets are masked whole, cycles and unreadable properties become markers. Never throws.
 */
export function redactValue(value: unknown): unknown {
  try {
    return boundedCopy(value, REDACT_VALUE_OPTIONS);
  } catch { // eslint-disable-line faultline/no-blind-catch -- a value from the app may throw from any read (getters, proxies)
    return '[Unreadable]';
  }
}
