import type http from 'node:http';

// Live updates for open pages, as server-sent events: a short notice of what changed (which traces,
// whether the error groups, the counter or the logs did) with the current stats, at most every
// `intervalMs`. Pages fetch what they show again when it concerns them, so a notice never carries
// telemetry and a slow page never holds a backlog of it.

const MAX_CLIENTS = 64;
const MAX_TRACES_NAMED = 200;
const HEARTBEAT_MS = 15_000;

export interface Change {
  traces?: Iterable<string>;
  errors?: boolean;
  counter?: boolean;
  logs?: boolean;
}

export interface ChangeNotice {
  version: number;
  /** Trace IDs that changed since the last notice; null when too many to name (refetch any). */
  traces: string[] | null;
  errors: boolean;
  counter: boolean;
  logs: boolean;
  stats: unknown;
}

export class EventStream {
  readonly #clients = new Set<http.ServerResponse>();
  readonly #stats: () => unknown;
  readonly #intervalMs: number;
  #traces = new Set<string>();
  #tooManyTraces = false;
  #errors = false;
  #counter = false;
  #logs = false;
  #version = 0;
  #timer: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;

  constructor(stats: () => unknown, intervalMs = 250) {
    this.#stats = stats;
    this.#intervalMs = intervalMs;
  }

  get clients(): number {
    return this.#clients.size;
  }

  /** Answers an EventSource request and keeps the response open; `headers` are the viewer's security headers. */
  open(request: http.IncomingMessage, response: http.ServerResponse, headers: Record<string, string>): void {
    if (this.#clients.size >= MAX_CLIENTS) {
      response.writeHead(503, { ...headers, 'content-type': 'text/plain; charset=utf-8', 'retry-after': '10' });
      response.end(`too many open viewer pages (${MAX_CLIENTS})\n`);
      return;
    }
    response.writeHead(200, { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    // A page reconnects after 2 s when the stream drops; the first notice tells it where things stand.
    response.write(`retry: 2000\nevent: change\ndata: ${JSON.stringify(this.#notice(true))}\n\n`);
    this.#clients.add(response);
    this.#heartbeat ??= setInterval(() => {
      for (const client of this.#clients) client.write(': keep-alive\n\n');
    }, HEARTBEAT_MS).unref();
    request.once('close', () => {
      this.#clients.delete(response);
      if (this.#clients.size === 0) this.#stopHeartbeat();
    });
  }

  notify(change: Change): void {
    for (const traceId of change.traces ?? []) {
      if (this.#traces.size >= MAX_TRACES_NAMED) {
        this.#tooManyTraces = true;
        break;
      }
      this.#traces.add(traceId);
    }
    this.#errors ||= change.errors === true;
    this.#counter ||= change.counter === true;
    this.#logs ||= change.logs === true;
    this.#version += 1;
    if (this.#clients.size === 0) {
      this.#reset();
      return;
    }
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.#flush();
    }, this.#intervalMs).unref();
  }

  close(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#stopHeartbeat();
    for (const client of this.#clients) client.end();
    this.#clients.clear();
  }

  #flush(): void {
    const message = `event: change\ndata: ${JSON.stringify(this.#notice(false))}\n\n`;
    this.#reset();
    for (const client of this.#clients) client.write(message);
  }

  #notice(everything: boolean): ChangeNotice {
    return {
      version: this.#version,
      traces: everything || this.#tooManyTraces ? null : [...this.#traces],
      errors: everything || this.#errors,
      counter: everything || this.#counter,
      logs: everything || this.#logs,
      stats: this.#stats(),
    };
  }

  #reset(): void {
    this.#traces = new Set();
    this.#tooManyTraces = false;
    this.#errors = false;
    this.#counter = false;
    this.#logs = false;
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat !== undefined) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }
}
