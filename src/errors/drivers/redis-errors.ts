import type { CategoryVerdict } from '../category.ts';

// Redis client errors. node-redis (`redis`, `@redis/client` 5 and 6) throws classes that keep the
// name "Error", so their constructor's name tells them apart; ioredis throws plain Errors with fixed
// messages, and `ReplyError`s for the server's error replies. A refused connection is Node's own
// ECONNREFUSED, which classify already knows.

const DEPENDENCY: CategoryVerdict = Object.freeze({ category: 'dependency', retryable: true });
const TIMEOUT: CategoryVerdict = Object.freeze({ category: 'timeout', retryable: true });
const CANCELLED: CategoryVerdict = Object.freeze({ category: 'cancelled', retryable: false });

/** node-redis error classes. */
const BY_CLASS: ReadonlyMap<string, CategoryVerdict> = new Map<string, CategoryVerdict>([
  ['ConnectionTimeoutError', TIMEOUT],
  ['SocketTimeoutError', TIMEOUT],
  ['TimeoutError', TIMEOUT], // a command's `timeout` ran out before it could be sent
  ['SocketTimeoutDuringMaintenanceError', TIMEOUT],
  ['CommandTimeoutDuringMaintenanceError', TIMEOUT],
  ['ClientClosedError', DEPENDENCY],
  ['ClientOfflineError', DEPENDENCY],
  ['SocketClosedUnexpectedlyError', DEPENDENCY],
  ['DisconnectsClientError', DEPENDENCY],
  ['ReconnectStrategyError', DEPENDENCY],
  ['RootNodesUnavailableError', DEPENDENCY],
  ['AbortError', CANCELLED], // the command's AbortSignal fired
]);

/** ioredis error names. */
const BY_NAME: ReadonlyMap<string, CategoryVerdict> = new Map<string, CategoryVerdict>([
  ['MaxRetriesPerRequestError', DEPENDENCY], // the connection stayed down through every retry
  ['ClusterAllFailedError', DEPENDENCY],
]);

/** ioredis's plain Errors, by their exact messages. */
const BY_MESSAGE: ReadonlyMap<string, CategoryVerdict> = new Map<string, CategoryVerdict>([
  ['Connection is closed.', DEPENDENCY],
  ["Stream isn't writeable and enableOfflineQueue options is false", DEPENDENCY],
  ['Command aborted due to connection close', DEPENDENCY],
  ['Command timed out', TIMEOUT],
]);

const SOCKET_TIMEOUT_PREFIX = "Socket timeout. Expecting data, but didn't receive any in ";

/**
 * Server error replies that mean "not now": still loading its data set, busy with a script, a
 * replica without its primary, a cluster moving slots or without quorum, a replica after a
 * failover, out of memory. The first word of a reply is its error code.
 */
const TRANSIENT_REPLIES = new Set(['LOADING', 'BUSY', 'MASTERDOWN', 'TRYAGAIN', 'CLUSTERDOWN', 'READONLY', 'OOM']);

/** ioredis's ReplyError and node-redis's ErrorReply and its subclasses. */
const REPLY_CLASSES = new Set(['ReplyError', 'ErrorReply', 'SimpleError', 'BlobError']);

export interface RedisErrorShape {
  name: string | undefined;
  constructorName: string | undefined;
  message: string;
}

export function redisVerdict(facts: RedisErrorShape): CategoryVerdict | undefined {
  const { name, constructorName, message } = facts;
  if (name === 'Error' || name === 'AbortError') {
    const byMessage = BY_MESSAGE.get(message);
    if (byMessage !== undefined) return byMessage;
    if (message.startsWith(SOCKET_TIMEOUT_PREFIX)) return TIMEOUT;
  }
  // node-redis classes keep the name "Error": only then is the constructor's name theirs to read.
  if (name === 'Error' && constructorName !== undefined) {
    const byClass = BY_CLASS.get(constructorName);
    if (byClass !== undefined) return byClass;
  }
  if (name !== undefined) {
    const byName = BY_NAME.get(name);
    if (byName !== undefined) return byName;
  }
  if ((name !== undefined && REPLY_CLASSES.has(name)) || (constructorName !== undefined && REPLY_CLASSES.has(constructorName))) {
    const space = message.indexOf(' ');
    if (TRANSIENT_REPLIES.has(space === -1 ? message : message.slice(0, space))) return DEPENDENCY;
  }
  return undefined;
}
