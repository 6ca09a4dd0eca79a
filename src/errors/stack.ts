import { MAX_FRAME_LENGTH, MAX_MESSAGE_LENGTH, MAX_STACK_INPUT } from './limits.ts';
import { cut } from './safe-read.ts';

/** One parsed V8 stack frame line (`    at fn (location:line:col)`). */
export interface StackFrame {
  /** `fn` part, without `async ` (may be empty). */
  functionName: string;
  /** The location without line and column: a path, a URL, `node:…`, `native`, `<anonymous>`. */
  location: string;
}

const FRAME_PREFIX = /^\s+at\s/;
/** FRAME_PREFIX for a line starting at `lastIndex` of a whole stack: whitespace other than a line break. */
const FRAME_PREFIX_AT = /[^\S\n]+at[^\S\n]/y;
const LINE_COLUMN = /(?::\d+){1,2}$/;

/**
 * The frame lines of a stack, from the first frame line to the end, and what has been derived
 * from them. Every error thrown at one site has the same block while its message differs, so
 * blocks are parsed once and shared (see `stackParts`); the derived values are memoised on the
 * block by the modules that compute them and must be treated as read-only.
 */
export interface FrameBlock {
  /** Frame lines, right-trimmed; lines after the first frame that are not frames are left out. */
  readonly frames: readonly string[];
  /** Grouping keys of the frames for one app root, and fingerprints by type (fingerprint.ts). */
  grouping: { root: string; keys: readonly string[]; fingerprints: Map<string, string> } | undefined;
  /** The frames part of a capped, redacted stack for one frame cap and redaction set. */
  rendered: { maxFrames: number; patterns: unknown; text: string | undefined } | undefined;
}

/** A stack split into its header (the lines before the first frame, joined) and its frame block. */
export interface StackParts {
  header: string;
  block: FrameBlock;
}

/** Whether the line of `text` starting at `start` is a frame line (FRAME_PREFIX). */
function isFrameLineAt(text: string, start: number): boolean {
  const first = text.charCodeAt(start);
  // Printable ASCII other than a space: not whitespace, so not a frame line (the usual header).
  if (first > 32 && first < 127) return false;
  // The usual frame line: spaces, `at`, a space.
  let index = start;
  while (text.charCodeAt(index) === 32) index += 1;
  if (index > start && text.charCodeAt(index) === 97 && text.charCodeAt(index + 1) === 116 && text.charCodeAt(index + 2) === 32) return true;
  // Anything else (tabs, other whitespace, no `at`): the regular expression decides.
  FRAME_PREFIX_AT.lastIndex = start;
  return FRAME_PREFIX_AT.test(text);
}

/** Index of the first frame line of `text`, or -1 when there is none. */
function framesStart(text: string): number {
  let start = 0;
  for (;;) {
    if (isFrameLineAt(text, start)) return start;
    const end = text.indexOf('\n', start);
    if (end < 0) return -1;
    start = end + 1;
  }
}

function parseBlock(text: string): string[] {
  const frames: string[] = [];
  for (const line of text.split('\n')) if (FRAME_PREFIX.test(line)) frames.push(line.trimEnd());
  return frames;
}

function newBlock(frames: readonly string[]): FrameBlock {
  return { frames, grouping: undefined, rendered: undefined };
}

// Blocks by a cheap hash of their text. Hashing a long fresh string for a Map key costs about a
// microsecond per kilobyte in V8, more than parsing it; sampling a few characters and comparing
// candidates with `===` (a memcmp that stops at the first difference) is much cheaper. Bounded in
// entries and in the characters of the stacks they may keep alive; cleared when full.
const MAX_BLOCKS = 1024;
const MAX_BLOCK_CHARS = 8 * 1024 * 1024;
const MAX_BUCKET = 8;
const SAMPLES = 12;
const blocks = new Map<number, { text: string; block: FrameBlock }[]>();
let blockCount = 0;
let blockChars = 0;

/** A hash of `text` from `start` on, from a few characters (read from the whole, usually flat, string). */
function sampleHash(text: string, start: number): number {
  const length = text.length - start;
  let hash = length;
  // The top frames tell sites apart best: the first characters of the block, then samples spread over it.
  const head = start + Math.min(length, 96);
  for (let index = start + 6; index < head; index += 5) hash = (Math.imul(hash, 31) + text.charCodeAt(index)) | 0;
  const step = Math.max(1, Math.floor(length / SAMPLES));
  for (let index = text.length - 1; index >= head; index -= step) hash = (Math.imul(hash, 31) + text.charCodeAt(index)) | 0;
  return hash;
}

/** The block of `text` from `start` (a frame line) to the end. */
function blockOf(text: string, start: number): FrameBlock {
  const hash = sampleHash(text, start);
  const bucket = blocks.get(hash);
  const key = start === 0 ? text : text.slice(start);
  if (bucket !== undefined) {
    for (const entry of bucket) if (entry.text === key) return entry.block;
  }
  const block = newBlock(parseBlock(key));
  if (bucket !== undefined && bucket.length >= MAX_BUCKET) return block;
  if (blockCount >= MAX_BLOCKS || blockChars + text.length > MAX_BLOCK_CHARS) {
    blocks.clear();
    blockCount = 0;
    blockChars = 0;
  }
  const entry = { text: key, block };
  const current = blocks.get(hash);
  if (current === undefined) blocks.set(hash, [entry]);
  else current.push(entry);
  blockCount += 1;
  // The key may be a slice of the whole stack and keep it alive: count the whole stack.
  blockChars += text.length;
  return block;
}

/**
 * Splits a stack, reading at most 64 KiB, into its header and its frame block. The block of a
 * recurring throw site is parsed once and shared.
 */
export function stackParts(stack: string): StackParts {
  // recordError and serializeError ask for the fingerprint and the capped stack of one error in
  // turn, with the same string: remember the last answer.
  if (stack === lastStack && lastParts !== undefined) return lastParts;
  const text = stack.length > MAX_STACK_INPUT ? stack.slice(0, MAX_STACK_INPUT) : stack;
  const start = framesStart(text);
  const parts =
    start < 0
      ? { header: text, block: newBlock([]) }
      : { header: start === 0 ? '' : text.slice(0, start - 1), block: blockOf(text, start) };
  lastStack = stack;
  lastParts = parts;
  return parts;
}

let lastStack: string | undefined;
let lastParts: StackParts | undefined;

/** Splits a stack into header lines (the message) and frame lines, reading at most 64 KiB. */
export function splitStack(stack: string): { header: string[]; frames: string[] } {
  const text = stack.length > MAX_STACK_INPUT ? stack.slice(0, MAX_STACK_INPUT) : stack;
  const start = framesStart(text);
  if (start < 0) return { header: text.split('\n'), frames: [] };
  const block = blockOf(text, start);
  return { header: start === 0 ? [] : text.slice(0, start - 1).split('\n'), frames: [...block.frames] };
}

/** Parses a frame line; undefined when it is not one. */
export function parseFrame(line: string): StackFrame | undefined {
  let text = line.trim();
  if (!text.startsWith('at ')) return undefined;
  text = text.slice(3);
  if (text.startsWith('async ')) text = text.slice(6);
  let functionName = '';
  let location = text;
  const open = text.indexOf(' (');
  if (open >= 0 && text.endsWith(')')) {
    functionName = text.slice(0, open);
    location = text.slice(open + 2, -1);
  }
  // `eval at fn (file.js:1:2), <anonymous>:1:1`: the file that called eval is the stable part.
  if (location.startsWith('eval at ')) {
    const inner = /\(([^()]+)\)/.exec(location);
    location = inner?.[1] ?? '<eval>';
  }
  return { functionName, location: location.replace(LINE_COLUMN, '') };
}

/**
 * The frames part of a capped stack: at most `maxFrames` frame lines, each cut to 512
 * characters, passed through `mapFrames` together, then a line saying how many were left out.
 * Undefined when there are no frames.
 */
export function capFrames(frames: readonly string[], maxFrames: number, mapFrames: (text: string) => string): string | undefined {
  const keep = Math.min(frames.length, Math.max(0, maxFrames));
  const lines: string[] = [];
  if (keep > 0) {
    const kept: string[] = [];
    for (let index = 0; index < keep; index++) kept.push(cut(frames[index] as string, MAX_FRAME_LENGTH));
    lines.push(mapFrames(kept.join('\n')));
  }
  if (frames.length > keep) lines.push(`    ... ${String(frames.length - keep)} more frames`);
  return lines.length === 0 ? undefined : lines.join('\n');
}

/** A capped stack from its parts: the header mapped then cut to the message cap, then the frames part. */
export function joinCappedStack(header: string, mapText: (text: string) => string, frames: string | undefined): string {
  const head = cut(mapText(header), MAX_MESSAGE_LENGTH);
  return frames === undefined ? head : `${head}\n${frames}`;
}

/**
 * The stack with at most `maxFrames` frame lines (plus a line saying how many were left out),
 * a header cut to the message cap and every frame line cut to 512 characters. `mapText`
 * (redaction) runs on the header before it is cut, so no secret in the message is left
 * half-masked, and `mapFrames` (by default the same) once over all kept frames.
 */
export function capStack(
  stack: string,
  maxFrames: number,
  mapText: (text: string) => string = (text) => text,
  mapFrames: (text: string) => string = mapText,
): string {
  const { header, block } = stackParts(stack);
  return joinCappedStack(header, mapText, capFrames(block.frames, maxFrames, mapFrames));
}
