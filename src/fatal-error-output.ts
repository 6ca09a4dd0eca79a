import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';

// The CommonJS module, not an ESM facade: the facade reads fs's lazy stream getters at import.
const { readFileSync } = process.getBuiltinModule('node:fs');

const TOP_FRAME = /^\s+at (?:.*? \()?((?:file:\/\/|\/).+?):(\d+):(\d+)\)?$/m;

/** Node's source excerpt for a fatal error: `location:line`, the source line, a caret under the column. */
function sourceExcerpt(stack: string): string | undefined {
  const frame = TOP_FRAME.exec(stack);
  if (frame === null) return undefined;
  const [, location = '', lineText = '', columnText = ''] = frame;
  const line = Number(lineText);
  const column = Number(columnText);
  let source: string;
  try {
    source = readFileSync(location.startsWith('file://') ? fileURLToPath(location) : location, 'utf8');
  } catch { // eslint-disable-line faultline/no-blind-catch -- an unreadable source file means no excerpt, as Node prints none either
    return undefined;
  }
  const sourceLine = source.split(/\r?\n/)[line - 1];
  if (sourceLine === undefined || column < 1 || column > sourceLine.length + 1) return undefined;
  // Node keeps tabs in the padding so the caret lines up under tab-indented code.
  const padding = sourceLine.slice(0, column - 1).replace(/[^\t]/g, ' ');
  return `${location}:${line}\n${sourceLine}\n${padding}^\n`;
}

/** Writes a fatal error to stderr as Node's default handler would; false when it cannot. */
export function printFatalError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  try {
    const stack: unknown = (error as { stack?: unknown }).stack;
    if (typeof stack !== 'string') return false;
    const excerpt = sourceExcerpt(stack);
    if (excerpt === undefined) return false;
    process.stderr.write(`${excerpt}\n${inspect(error)}\n\nNode.js ${process.version}\n`);
    return true;
  } catch { // eslint-disable-line faultline/no-blind-catch -- false hands the error back to Node, which prints it itself
    return false;
  }
}
