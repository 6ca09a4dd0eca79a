import { createHash } from 'node:crypto';
import { parseFrame, stackParts, type FrameBlock, type StackFrame } from './stack.ts';

/** How many frames decide the grouping. */
export const FINGERPRINT_FRAMES = 5;

let lastCwd: string | undefined;
let lastRoot = '';

function appRoot(): string {
  try {
    // process.cwd() is cached by Node until the next chdir; normalise it once per value.
    const cwd = process.cwd();
    if (cwd !== lastCwd) {
      lastRoot = cwd.replace(/\\/g, '/').replace(/\/+$/, '');
      lastCwd = cwd;
    }
    return lastRoot;
  } catch { // eslint-disable-line faultline/no-blind-catch -- process.cwd() throws only when the working directory was deleted
    // the working directory was deleted
    return '';
  }
}

function isInternal(location: string): boolean {
  return (
    location.startsWith('node:') ||
    location.startsWith('internal/') ||
    location === 'native' ||
    location === '<anonymous>' ||
    location === '<eval>' ||
    location.startsWith('unknown location') ||
    location === ''
  );
}

function isDependency(path: string): boolean {
  return path.includes('/node_modules/');
}

/**
 * A location made stable across machines and deploys: no `file://`, query string or hash, and a
 * path relative to the app root (`process.cwd()`), or to the innermost `node_modules` for
 * dependencies. Other paths keep their last two segments, which do not depend on where the app
 * was installed.
 */
export function normaliseLocation(location: string, root: string = appRoot()): string {
  let path = location.replace(/\\/g, '/');
  if (path.startsWith('file://')) path = path.slice(7);
  else path = path.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '');
  path = path.replace(/[?#].*$/, '');
  try {
    if (path.includes('%')) path = decodeURI(path);
  } catch { // eslint-disable-line faultline/no-blind-catch -- decodeURI throws only URIError: the path was not percent-encoded
  }
  if (/^\/[A-Za-z]:\//.test(path)) path = path.slice(1);
  // Dependencies by package path: free of install location and of pnpm's version folders.
  const dependency = path.lastIndexOf('/node_modules/');
  if (dependency >= 0) return path.slice(dependency + '/node_modules/'.length);
  if (root !== '' && path.startsWith(`${root}/`)) return path.slice(root.length + 1);
  if (path.startsWith('/') || /^[A-Za-z]:\//.test(path)) return path.split('/').slice(-2).join('/');
  return path;
}

function frameKey(frame: StackFrame, root: string): string {
  const location = normaliseLocation(frame.location, root);
  return frame.functionName === '' ? location : `${frame.functionName}@${location}`;
}

interface ParsedFrameKey {
  key: string;
  dependency: boolean;
}

// The same throw site yields the same frame lines over and over; parsing and normalising them is
// most of a fingerprint's cost. Bounded: cleared when full, as the set of sites is finite in practice.
const MAX_CACHED_FRAMES = 4096;
const frameCache = new Map<string, ParsedFrameKey | null>();
let frameCacheRoot = '';

function keyOfLine(line: string, root: string): ParsedFrameKey | null {
  if (root !== frameCacheRoot) {
    frameCache.clear();
    frameCacheRoot = root;
  }
  const cached = frameCache.get(line);
  if (cached !== undefined) return cached;
  const frame = parseFrame(line);
  let parsed: ParsedFrameKey | null = null;
  if (frame !== undefined && !isInternal(frame.location)) {
    parsed = { key: frameKey(frame, root), dependency: isDependency(frame.location.replace(/\\/g, '/')) };
  }
  if (frameCache.size >= MAX_CACHED_FRAMES) frameCache.clear();
  frameCache.set(line, parsed);
  return parsed;
}

function groupingKeys(frames: readonly string[], root: string, limit: number): string[] {
  const app: string[] = [];
  const dependency: string[] = [];
  for (const line of frames) {
    const parsed = keyOfLine(line, root);
    if (parsed === null) continue;
    if (parsed.dependency) {
      if (dependency.length < limit) dependency.push(parsed.key);
    } else {
      app.push(parsed.key);
      if (app.length >= limit) break;
    }
  }
  return app.length > 0 ? app : dependency;
}

/** The grouping memo of a stack's frame block for the current app root (default limit only). */
function grouping(stack: string): NonNullable<FrameBlock['grouping']> {
  const root = appRoot();
  const { block } = stackParts(stack);
  let memo = block.grouping;
  if (memo?.root !== root) {
    memo = { root, keys: groupingKeys(block.frames, root, FINGERPRINT_FRAMES), fingerprints: new Map() };
    block.grouping = memo;
  }
  return memo;
}

/**
 * The top in-app frames of a stack, normalised (`fn@relative/path`, no line or column). When
 * none is in-app the top dependency frames stand in, so library errors still group by call site.
 */
export function groupingFrames(stack: string | undefined, limit: number = FINGERPRINT_FRAMES): string[] {
  if (stack === undefined || stack === '') return [];
  if (limit === FINGERPRINT_FRAMES) return [...grouping(stack).keys];
  return groupingKeys(stackParts(stack).block.frames, appRoot(), limit);
}

/** Message with the parts that vary per occurrence (numbers, ids) removed, for stackless errors. */
function messageShape(message: string): string {
  return message
    .slice(0, 256)
    .replace(/[0-9a-f]{8,}(?:-[0-9a-f]{4,})*/gi, '#')
    .replace(/\d+/g, '#');
}

function hashOf(basis: string): string {
  let key = hashCache.get(basis);
  if (key === undefined) {
    key = createHash('sha1').update(basis).digest('hex').slice(0, 16);
    if (hashCache.size >= MAX_CACHED_FRAMES) hashCache.clear();
    hashCache.set(basis, key);
  }
  return key;
}

/** Types remembered per frame block; a throw site rarely yields more than one or two. */
const MAX_TYPES_PER_BLOCK = 16;

/**
 * A stable grouping key for an error: the first 16 hex characters of SHA-1 over the type and the
 * top in-app frames. The same bug gives the same key across processes, machines and releases
 * that did not touch those frames. Stackless values (thrown strings) group by type and the shape
 * of their message.
 */
export function fingerprint(type: string, stack?: string, message?: string): string {
  if (stack !== undefined && stack !== '') {
    const memo = grouping(stack);
    if (memo.keys.length > 0) {
      // The key depends only on the type and the frames: remember it on the block.
      let key = memo.fingerprints.get(type);
      if (key === undefined) {
        key = hashOf(`${type}\n${memo.keys.join('\n')}`);
        if (memo.fingerprints.size >= MAX_TYPES_PER_BLOCK) memo.fingerprints.clear();
        memo.fingerprints.set(type, key);
      }
      return key;
    }
  }
  return hashOf(`${type}\nmessage:${messageShape(message ?? '')}`);
}

const hashCache = new Map<string, string>();
