// The demo's command line. Everything has a default: `node examples/checkout/demo.js` just runs.

export interface DemoOptions {
  /** Seconds of traffic, then a summary and exit 0; undefined runs until SIGINT/SIGTERM. */
  durationSeconds: number | undefined;
  /** Where the services send OTLP; undefined starts the embedded receiver and shows the feed from it. */
  otlpEndpoint: string | undefined;
  framework: 'express' | 'fastify';
  /** Scenarios started per second (each is one to three HTTP requests). */
  rate: number;
  /** Where the embedded receiver appends every export request (an OTLP/JSON capture file). */
  savePath: string | undefined;
  help: boolean;
}

export const USAGE = `usage: node examples/checkout/demo.js [--duration <seconds>] [--otlp <url>] [--framework express|fastify] [--rate <per second>] [--save <file>]

Starts the checkout example under faultline's preload, drives traffic at it (good charges, declined
cards, fraud, gateway failures and timeouts, bad requests, unknown orders, double charges and a
database outage) and prints each error with its type, category, status, trace ID and the log lines
of the same trace, plus running counts per type. The embedded receiver serves a web viewer of the
errors, traces and logs at the URL it prints; without --duration it stays up after the summary
until Ctrl-C.

  --duration <seconds>   run this long, print a summary and exit (default: until Ctrl-C)
  --otlp <url>           send telemetry to this OTLP/HTTP endpoint (a Collector) instead of the
                         embedded receiver; OTEL_EXPORTER_OTLP_ENDPOINT does the same
  --framework <name>     express (default) or fastify
  --rate <n>             scenarios started per second (default 2)
  --save <file>          append everything the embedded receiver gets to <file>, one OTLP/JSON
                         export request per line (docs/capture.md)

PostgreSQL: DATABASE_URL, or the PG* variables, default postgres://postgres@127.0.0.1:5432/postgres.`;

export class UsageError extends Error {
  override name = 'UsageError';
  readonly code = 'DEMO_USAGE';
}

function positiveNumber(flag: string, value: string | undefined): number {
  const number = Number(value);
  if (value === undefined || value.trim() === '' || !Number.isFinite(number) || number <= 0) {
    throw new UsageError(`${flag} expects a positive number, got ${JSON.stringify(value ?? '')}`);
  }
  return number;
}

function httpUrl(flag: string, value: string | undefined): string {
  try {
    const url = new URL(value ?? '');
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.href.replace(/\/+$/, '');
  } catch { // eslint-disable-line faultline/no-blind-catch -- new URL throws only for a malformed URL, reported below
  }
  throw new UsageError(`${flag} expects an http(s) URL, got ${JSON.stringify(value ?? '')}`);
}

export function parseOptions(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): DemoOptions {
  const envEndpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  const options: DemoOptions = {
    durationSeconds: undefined,
    otlpEndpoint: envEndpoint === undefined || envEndpoint === '' ? undefined : httpUrl('OTEL_EXPORTER_OTLP_ENDPOINT', envEndpoint),
    framework: 'express',
    rate: 2,
    savePath: undefined,
    help: false,
  };
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] ?? '';
    const [flag = '', inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string | undefined => inline ?? argv[++index];
    switch (flag) {
      case '--duration':
        options.durationSeconds = positiveNumber(flag, value());
        break;
      case '--otlp':
        options.otlpEndpoint = httpUrl(flag, value());
        break;
      case '--framework': {
        const framework = value();
        if (framework !== 'express' && framework !== 'fastify') throw new UsageError(`--framework is express or fastify, got ${JSON.stringify(framework ?? '')}`);
        options.framework = framework;
        break;
      }
      case '--rate':
        options.rate = positiveNumber(flag, value());
        break;
      case '--save': {
        const file = value();
        if (file === undefined || file.trim() === '') throw new UsageError('--save expects a file name');
        options.savePath = file;
        break;
      }
      case '--help':
      case '-h':
        options.help = true;
        break;
      default:
        throw new UsageError(`unknown argument ${JSON.stringify(arg)}`);
    }
  }
  if (options.savePath !== undefined && options.otlpEndpoint !== undefined) {
    throw new UsageError('--save writes what the embedded receiver gets; with --otlp (or OTEL_EXPORTER_OTLP_ENDPOINT) telemetry goes elsewhere');
  }
  return options;
}
