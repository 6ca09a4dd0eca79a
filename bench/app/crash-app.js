// The app of the crash-trials suite (issue 14): it serves CRASH_REQUESTS requests to `GET /work`, each
// with a recorded error and an error log line, and then ends the way CRASH_PATH says:
//
//   exit-0-top-level    process.exit(0) in the module's top-level code, once every request is answered
//   exit-3-in-handler   process.exit(3) inside the last request's handler, right after answering it
//   exit-code-drained   process.exitCode = 4, the server closed, the event loop left to drain
//   throw               an uncaught exception from a timer
//   rejection           an unhandled rejection
//   SIGTERM, SIGINT     the harness sends the signal once every request is answered
//
//   CRASH_PATH=throw CRASH_REQUESTS=20 node --import faultline/register app/crash-app.js
//
// BENCH_PLAIN=1 runs the same app without faultline (a plain error class, pino to /dev/null): the
// exit time of Node alone, against which the suite reports faultline's extra time.
//
// Prints `listening <port>` on stdout when ready. Just before it ends itself it writes
// `BENCH_EXIT_AT <epoch ms>` on stderr (synchronously), so that the harness can time the exit from the
// moment it was asked for to the end of the process.
import http from 'node:http';
import { writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { setImmediate } from 'node:timers';

const require = createRequire(import.meta.url);
const path = process.env.CRASH_PATH ?? 'exit-0-top-level';
const total = Number(process.env.CRASH_REQUESTS ?? 20);

function devNull() {
  const pino = require('pino');
  return pino.destination({ dest: '/dev/null', sync: true });
}

async function faultlineKit() {
  const { createLogger, defineError, recordError } = await import('faultline');
  const WorkFailed = defineError({ code: 'WORK_FAILED', category: 'dependency', httpStatus: 503 });
  const logger = createLogger({ destination: devNull() });
  return {
    WorkFailed,
    recordAndLog(error, item) {
      recordError(error);
      // Recorded already: the logger sees the same error object and does not count it again.
      logger.error({ err: error, item }, 'work item failed');
    },
  };
}

function plainKit() {
  const pino = require('pino');
  const logger = pino({ level: 'info' }, devNull());
  class WorkFailed extends Error {
    constructor(message, options = {}) {
      super(message);
      this.name = 'WorkFailedError';
      this.code = 'WORK_FAILED';
      this.details = options.details;
    }
  }
  return {
    WorkFailed,
    recordAndLog(error, item) {
      logger.error({ err: error, item }, 'work item failed');
    },
  };
}

const kit = process.env.BENCH_PLAIN === '1' ? plainKit() : await faultlineKit();

function exitRequested() {
  writeSync(2, `BENCH_EXIT_AT ${performance.timeOrigin + performance.now()}\n`);
}

const { promise: allServed, resolve: served } = Promise.withResolvers();
let count = 0;
const server = http.createServer((request, response) => {
  if (request.url !== '/work') {
    response.writeHead(404).end();
    return;
  }
  count += 1;
  const item = count;
  kit.recordAndLog(new kit.WorkFailed(`work item ${item} failed`, { details: { item } }), item);
  response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ item }));
  if (item < total) return;
  if (path === 'exit-3-in-handler') {
    exitRequested();
    process.exit(3);
  }
  // The other paths end once the last response is out and its span has ended.
  response.once('close', () => setImmediate(served));
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});

await allServed;
switch (path) {
  case 'exit-0-top-level':
    exitRequested();
    process.exit(0);
    break;
  case 'exit-code-drained':
    exitRequested();
    process.exitCode = 4;
    server.close();
    break;
  case 'throw':
    exitRequested();
    setImmediate(() => {
      throw new Error('the job crashed after its last request');
    });
    break;
  case 'rejection':
    exitRequested();
    void Promise.reject(new Error('the job failed after its last request'));
    break;
  case 'SIGTERM':
  case 'SIGINT':
    // The harness sends the signal; the listening server keeps the process alive until then.
    break;
  default:
    process.stderr.write(`crash-app: unknown CRASH_PATH ${JSON.stringify(path)}\n`);
    process.exit(2);
}
