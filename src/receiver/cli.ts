#!/usr/bin/env node
// `node dist/receiver/cli.js [--port 4318] [--host 127.0.0.1]`: a local OTLP/HTTP endpoint that prints
// one line per span, per log record and per metrics export, for pointing an app at while developing.
import { parseArgs } from 'node:util';
import { formatLogLine, formatMetricBatchLine, formatSpanLine } from './format.ts';
import { startReceiver } from './receiver.ts';
import type { ReceiverMode } from './types.ts';

const USAGE = `usage: faultline-receiver [--port 4318] [--host 127.0.0.1] [--mode ok|hang|error]

Receives OTLP/HTTP (JSON or protobuf, gzip or not) on /v1/traces, /v1/metrics and /v1/logs and
prints one line per span, per log record and per metrics export.
`;

function write(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function main(): Promise<void> {
  let values: { port?: string; host?: string; mode?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string', default: '4318' },
        host: { type: 'string', default: '127.0.0.1' },
        mode: { type: 'string', default: 'ok' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (values.help === true) {
    write(USAGE);
    return;
  }
  const port = Number(values.port);
  let receiver;
  try {
    // The CLI only prints: nothing needs keeping.
    receiver = await startReceiver({ port, host: values.host, mode: values.mode as ReceiverMode, maxItemsPerSignal: 0 });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  receiver.on('spans', (spans) => {
    for (const span of spans) write(formatSpanLine(span));
  });
  receiver.on('logs', (logs) => {
    for (const log of logs) write(formatLogLine(log));
  });
  receiver.on('metrics', (points) => {
    if (points.length > 0) write(formatMetricBatchLine(points));
  });
  receiver.on('request', (request) => {
    if (request.status !== undefined && request.status >= 400) {
      write(`refused ${request.signal} request (${request.contentType || 'no content type'}, ${request.bytes} bytes): HTTP ${request.status}`);
    }
  });
  write(`OTLP/HTTP receiver listening on ${receiver.url} (mode ${receiver.mode}); point an app at it with OTEL_EXPORTER_OTLP_ENDPOINT=${receiver.url}`);
  const stop = () => {
    void receiver.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

await main();
