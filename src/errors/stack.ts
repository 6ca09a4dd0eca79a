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
const LINE_COLUMN = /(?::\d+){1,2}$/;

/** Splits a stack into header lines (the message) and frame lines, reading at most 64 KiB. */
export function splitStack(stack: string): { header: string[]; frames: string[] } {
  const lines = (stack.length > MAX_STACK_INPUT ? stack.slice(0, MAX_STACK_INPUT) : stack).split('\n');
  const header: string[] = [];
  const frames: string[] = [];
  for (const line of lines) {
    if (FRAME_PREFIX.test(line)) frames.push(line.trimEnd());
    else if (frames.length === 0) header.push(line);
  }
  return { header, frames };
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
  const { header, frames } = splitStack(stack);
  const kept = frames.slice(0, Math.max(0, maxFrames)).map((frame) => cut(frame, MAX_FRAME_LENGTH));
  const lines = [cut(mapText(header.join('\n')), MAX_MESSAGE_LENGTH)];
  if (kept.length > 0) lines.push(mapFrames(kept.join('\n')));
  if (frames.length > kept.length) lines.push(`    ... ${String(frames.length - kept.length)} more frames`);
  return lines.join('\n');
}
