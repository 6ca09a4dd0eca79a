#!/usr/bin/env node
// `node dist/receiver/cli.js [--port 4318] [--host 127.0.0.1] [--ui] [--save file.jsonl]`: a local
// OTLP/HTTP endpoint that prints one line per span, per log record and per metrics export, for
// pointing an app at while developing; with --ui it serves the web viewer on the same port.
import { parseArgs } from 'node:util';
import { formatLogLine, formatMetricBatchLine, formatSpanLine } from './format.ts';
import { startReceiver } from './receiver.ts';
import type { ReceiverMode } from './types.ts';
import { DEFAULT_VIEWER_LIMITS } from './viewer/viewer.ts';

const USAGE = `usage: faultline-receiver [--port 4318] [--host 127.0.0.1] [--mode ok|hang|error]
                          [--ui] [--max-traces ${DEFAULT_VIEWER_LIMITS.maxTraces}] [--max-spans ${DEFAULT_VIEWER_LIMITS.maxSpans}] [--max-logs ${DEFAULT_VIEWER_LIMITS.maxLogRecords}]
                          [--save capture.jsonl] [--load capture.jsonl]

Receives OTLP/HTTP (JSON or protobuf, gzip or not) on /v1/traces, /v1/metrics and /v1/logs and
prints one line per span, per log record and per metrics export.

  --ui                 serve the web viewer on the same port: errors grouped by fingerprint, their
                       traces and log lines, app.errors by type over time, live
  --max-traces <n>     traces the viewer keeps (the most recently updated)
  --max-spans <n>      spans the viewer keeps over all traces
  --max-logs <n>       log records the viewer keeps (the newest)
  --save <file>        append every export request received to <file>, one OTLP/JSON line each
  --load <file>        show a saved capture in the viewer (with --ui), then go on receiving
`;

function write(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** A bad command line: one line on stderr and exit code 2. */
class UsageError extends Error {
  readonly code = 'USAGE_ERROR';
}

function count(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) throw new UsageError(`${flag} expects a positive integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

function portOf(value: string | undefined): number {
  if (value === undefined || !/^\d+$/.test(value) || Number(value) > 65535) throw new UsageError(`--port expects an integer from 0 to 65535, got ${JSON.stringify(value ?? '')}`);
  return Number(value);
}

async function main(): Promise<void> {
  let values;
  let port: number;
  let limits: { maxTraces?: number; maxSpans?: number; maxLogRecords?: number };
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string', default: '4318' },
        host: { type: 'string', default: '127.0.0.1' },
        mode: { type: 'string', default: 'ok' },
        ui: { type: 'boolean', default: false },
        'max-traces': { type: 'string' },
        'max-spans': { type: 'string' },
        'max-logs': { type: 'string' },
        save: { type: 'string' },
        load: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
    port = portOf(values.port);
    limits = {
      maxTraces: count('--max-traces', values['max-traces']),
      maxSpans: count('--max-spans', values['max-spans']),
      maxLogRecords: count('--max-logs', values['max-logs']),
    };
    const limitGiven = [values['max-traces'], values['max-spans'], values['max-logs']].some((value) => value !== undefined);
    if (!values.ui && limitGiven) throw new UsageError('--max-traces, --max-spans and --max-logs apply to the viewer: add --ui');
    if (!values.ui && values.load !== undefined) throw new UsageError('--load shows a capture in the viewer: add --ui');
  } catch (error) {
    process.stderr.write(`faultline-receiver: ${(error as Error).message} (see --help)\n`);
    process.exitCode = 2;
    return;
  }
  if (values.help) {
    write(USAGE);
    return;
  }
  let receiver;
  try {
    // The CLI only prints: nothing needs keeping beyond the viewer's own bounded stores.
    receiver = await startReceiver({
      port,
      host: values.host,
      mode: values.mode as ReceiverMode,
      maxItemsPerSignal: 0,
      ...(values.ui ? { ui: limits } : {}),
      ...(values.save === undefined ? {} : { save: values.save }),
    });
  } catch (error) {
    const message = (error as Error).message;
    process.stderr.write(`faultline-receiver: ${message}\n`);
    // A bad option or an unwritable capture file is bad input; a port in use is not.
    process.exitCode = error instanceof TypeError || message.startsWith('cannot write the capture file') ? 2 : 1;
    return;
  }
  if (values.load !== undefined) {
    try {
      const requests = await receiver.replay(values.load);
      write(`loaded ${requests} export requests from ${values.load}`);
    } catch (error) {
      process.stderr.write(`faultline-receiver: cannot load ${values.load}: ${(error as Error).message}\n`);
      await receiver.close();
      process.exitCode = 2;
      return;
    }
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
  if (receiver.viewerUrl !== undefined) {
    write(`viewer: ${receiver.viewerUrl}`);
    if (!isLoopback(values.host)) write(`note: the viewer has no login; anyone who can reach ${values.host}:${receiver.port} can read what it shows`);
  }
  if (receiver.savePath !== undefined) write(`saving every export request to ${receiver.savePath}`);
  const stop = () => {
    void receiver.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

await main();
