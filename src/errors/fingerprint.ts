import { createHash } from 'node:crypto';
import { parseFrame, splitStack, type StackFrame } from './stack.ts';

/** How many frames decide the grouping. */
export const FINGERPRINT_FRAMES = 5;

function appRoot(): string {
  try {
    return process.cwd().replace(/\\/g, '/').replace(/\/+$/, '');
  } catch {
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
  } catch {
    // not percent-encoded after all
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

/**
 * The top in-app frames of a stack, normalised (`fn@relative/path`, no line or column). When
 * none is in-app the top dependency frames stand in, so library errors still group by call site.
 */
export function groupingFrames(stack: string | undefined, limit: number = FINGERPRINT_FRAMES): string[] {
  if (stack === undefined || stack === '') return [];
  const root = appRoot();
  const app: string[] = [];
  const dependency: string[] = [];
  for (const line of splitStack(stack).frames) {
    const frame = parseFrame(line);
    if (frame === undefined || isInternal(frame.location)) continue;
    const slashed = frame.location.replace(/\\/g, '/');
    if (isDependency(slashed)) {
      if (dependency.length < limit) dependency.push(frameKey(frame, root));
    } else {
      app.push(frameKey(frame, root));
      if (app.length >= limit) break;
    }
  }
  return app.length > 0 ? app : dependency;
}

/** Message with the parts that vary per occurrence (numbers, ids) removed, for stackless errors. */
function messageShape(message: string): string {
  return message
    .slice(0, 256)
    .replace(/[0-9a-f]{8,}(?:-[0-9a-f]{4,})*/gi, '#')
    .replace(/\d+/g, '#');
}

/**
 * A stable grouping key for an error: the first 16 hex characters of SHA-1 over the type and the
 * top in-app frames. The same bug gives the same key across processes, machines and releases
 * that did not touch those frames. Stackless values (thrown strings) group by type and the shape
 * of their message.
 */
export function fingerprint(type: string, stack?: string, message?: string): string {
  const frames = groupingFrames(stack);
  const basis = frames.length > 0 ? frames.join('\n') : `message:${messageShape(message ?? '')}`;
  return createHash('sha1').update(`${type}\n${basis}`).digest('hex').slice(0, 16);
}
