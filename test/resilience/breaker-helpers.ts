import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';
import { runApp, type AppRun } from '../helpers/run-app.ts';

// What the breaker tests share: a stub dependency that counts the requests it gets, a Redis server
// of the test's own (to kill and restart), and the breaker app driven over its control port.

export type StubMode = 'ok' | 'fail' | 'hold';

/** An HTTP dependency: answers 200 ('ok'), 503 ('fail'), or holds each request until released ('hold'). */
export class StubDependency {
  mode: StubMode = 'ok';
  /** Requests received, in order, with the pid of the process that sent each. */
  readonly callers: string[] = [];
  readonly #held: http.ServerResponse[] = [];
  readonly #waiters: (() => void)[] = [];
  readonly #server = http.createServer((request, response) => {
    this.callers.push(String(request.headers['x-caller']));
    for (const wake of this.#waiters.splice(0)) wake();
    request.resume();
    if (this.mode === 'hold') this.#held.push(response);
    else answer(response, this.mode === 'ok' ? 200 : 503);
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${String((this.#server.address() as net.AddressInfo).port)}/`;
  }

  get count(): number {
    return this.callers.length;
  }

  get held(): number {
    return this.#held.length;
  }

  /** Answers every held request with `status`. */
  release(status: number): void {
    for (const response of this.#held.splice(0)) answer(response, status);
  }

  /** Resolves once `count` requests have arrived. */
  async waitForCount(count: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.callers.length < count) {
      if (Date.now() > deadline) throw new Error(`the stub got ${String(this.callers.length)} requests, expected ${String(count)}`);
      await Promise.race([new Promise<void>((resolve) => this.#waiters.push(resolve)), sleep(50)]);
    }
  }

  async close(): Promise<void> {
    this.release(503);
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

function answer(response: http.ServerResponse, status: number): void {
  response.writeHead(status, { 'content-type': 'text/plain' });
  response.end(status === 200 ? 'ok' : 'down');
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A redis-server of the test's own, without persistence: a restart comes back empty, script cache included. */
export class OwnRedis {
  readonly port: number;
  #child: ChildProcess | undefined;

  constructor(port: number) {
    this.port = port;
  }

  get url(): string {
    return `redis://127.0.0.1:${String(this.port)}`;
  }

  async start(): Promise<void> {
    this.#child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await ping(this.port);
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await sleep(50);
      }
    }
  }

  /** SIGKILL: the server vanishes mid-run, connections reset. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** SIGSTOP / SIGCONT: the server hangs with its connections open, as a slow Redis does. */
  pause(): void {
    this.#child?.kill('SIGSTOP');
  }

  resume(): void {
    this.#child?.kill('SIGCONT');
  }
}

async function ping(port: number): Promise<void> {
  const client = createClient({ url: `redis://127.0.0.1:${String(port)}`, socket: { reconnectStrategy: false, connectTimeout: 500 } });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } finally {
    client.destroy();
  }
}

export interface BreakerAppState {
  state: string;
  shared: boolean;
  unhandled: number;
}

export interface CallsResult extends BreakerAppState {
  outcomes: string[];
}

/** One process of the service, with its control port. */
export class BreakerApp {
  readonly run: AppRun;
  #port = 0;

  constructor(run: AppRun) {
    this.run = run;
  }

  static async start(env: Record<string, string | undefined>): Promise<BreakerApp> {
    const app = new BreakerApp(runApp('test/fixtures/resilience/breaker-app.mjs', { env }));
    const match = await app.run.waitForLine(/control=(\d+)/);
    app.#port = Number(match[1]);
    return app;
  }

  get pid(): string {
    return String(this.run.child.pid);
  }

  async #request(path: string, method: string): Promise<unknown> {
    const response = await fetch(`http://127.0.0.1:${String(this.#port)}${path}`, { method });
    return response.json();
  }

  /** N calls through the breaker, one after the other (or all at once). */
  calls(n: number, concurrent = false): Promise<CallsResult> {
    return this.#request(`/calls?n=${String(n)}${concurrent ? '&concurrent=1' : ''}`, 'POST') as Promise<CallsResult>;
  }

  state(): Promise<BreakerAppState> {
    return this.#request('/state', 'GET') as Promise<BreakerAppState>;
  }

  /** Waits until the app reports `predicate` true of its state. */
  async waitForState(predicate: (state: BreakerAppState) => boolean, timeoutMs = 10_000): Promise<BreakerAppState> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const state = await this.state();
      if (predicate(state)) return state;
      if (Date.now() > deadline) throw new Error(`app ${this.pid} never reached the expected state; last: ${JSON.stringify(state)}`);
      await sleep(25);
    }
  }

  async exit(): Promise<{ code: number | null; stderr: string; stdout: string }> {
    await this.#request('/exit', 'POST').catch(() => undefined);
    return this.run.exited;
  }

  kill(): void {
    this.run.child.kill('SIGKILL');
  }
}
