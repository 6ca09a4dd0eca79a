// Child processes of the bench: the app under test, the collector stand-in and the load generator,
// each optionally pinned to a CPU so that they do not take each other's time slices.
import { spawn, fork } from 'node:child_process';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import process from 'node:process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, URL } from 'node:url';

export const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));
const TASKSET = ['/usr/bin/taskset', '/bin/taskset'].find((path) => existsSync(path));

/** The environment children get: the parent's, without anything that would configure telemetry. */
export function cleanEnv(extra = {}) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(OTEL_|FAULTLINE_|SENTRY_|ELASTIC_|NODE_OPTIONS$)/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/** `[command, args]` run on one CPU when pinning is available and asked for. */
export function pinned(cpu, command, args) {
  if (cpu === undefined || TASKSET === undefined) return [command, args];
  return [TASKSET, ['-c', String(cpu), command, ...args]];
}

export function canPin() {
  return TASKSET !== undefined;
}

export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resident set size of a process in bytes, from /proc (0 once it is gone). */
export function rssBytes(pid) {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? 0 : Number(match[1]) * 1024;
  } catch {
    return 0;
  }
}

/** User + system CPU time of a whole process (all threads) in milliseconds. */
export function cpuMillis(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / 100; // USER_HZ is 100 on Linux.
  } catch {
    return 0;
  }
}

/**
 * CPU time per thread name in milliseconds (threads of the same name summed): `MainThread`,
 * `V8Worker` (GC and compiler helpers), `libuv-worker`, and worker threads by the name they were given.
 */
export function threadCpuMillis(pid) {
  const totals = {};
  let tasks;
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return totals;
  }
  for (const task of tasks) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      totals[name] = (totals[name] ?? 0) + ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return totals;
}

function get(url, timeoutMs) {
  return new Promise((resolve) => {
    const request = http.get(url, { agent: false, timeout: timeoutMs }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(0));
  });
}

/**
 * Starts the app and measures start-up: from spawn to the first successful response.
 * `captureStdout` keeps everything the app prints on stdout in `app.stdout` (V8 traces go there).
 * @returns {Promise<AppProcess>}
 */
export async function startApp({ args, env, port, cpu, cwd = BENCH_DIR, startTimeoutMs = 60_000, captureStdout = false }) {
  const [command, argv] = pinned(cpu, process.execPath, [...args, 'app/server.js']);
  const started = performance.now();
  const child = spawn(command, argv, {
    cwd,
    env: cleanEnv({ ...env, PORT: String(port) }),
    stdio: ['ignore', captureStdout ? 'pipe' : 'ignore', 'pipe'],
  });
  const app = new AppProcess(child, port);
  const deadline = started + startTimeoutMs;
  while (performance.now() < deadline && app.exitCode === undefined) {
    if ((await get(`http://127.0.0.1:${port}/health`, 1000)) === 200) {
      app.startupMs = performance.now() - started;
      return app;
    }
    await sleep(5);
  }
  await app.stop(1000);
  throw new Error(`app did not answer within ${startTimeoutMs} ms (exit code ${app.exitCode}); stderr:\n${app.stderr.slice(-2000)}`);
}

export class AppProcess {
  constructor(child, port) {
    this.child = child;
    this.pid = child.pid;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.stderr = '';
    this.stdout = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk) => (this.stdout += chunk));
    this.exitCode = undefined;
    this.startupMs = undefined;
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exitCode = code ?? signal;
        this.exitedAt = performance.now();
        resolve();
      });
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      // Keep the head (start-up warnings) and the tail (exit reports) of a long stderr.
      this.stderr = this.stderr.length < 200_000 ? this.stderr + chunk : this.stderr.slice(0, 100_000) + this.stderr.slice(-100_000) + chunk;
    });
  }

  rss() {
    return rssBytes(this.pid);
  }

  /** `{ served, handled }`: order requests answered, and requests of any kind (this one included). */
  requestCounts() {
    return this.#getJson('/stats');
  }

  /** The main thread's heap sizes and RSS, as the app sees them (bench/app/server.js `/memory`). */
  memory() {
    return this.#getJson('/memory');
  }

  async #getJson(path) {
    const response = await globalThis.fetch(`${this.url}${path}`);
    return response.json();
  }

  cpuMs() {
    return cpuMillis(this.pid);
  }

  threadCpuMs() {
    return threadCpuMillis(this.pid);
  }

  /**
   * Sends SIGTERM and measures how long the process takes to exit; after `timeoutMs` it is killed
   * and the result is `undefined` (it would not have exited by itself).
   */
  async stop(timeoutMs = 10_000) {
    if (this.exitCode !== undefined) return 0;
    const sent = performance.now();
    this.child.kill('SIGTERM');
    const timer = sleep(timeoutMs, 'timeout');
    const outcome = await Promise.race([this.exited.then(() => 'exited'), timer]);
    if (outcome === 'exited') return this.exitedAt - sent;
    this.child.kill('SIGKILL');
    await this.exited;
    return undefined;
  }

  /** The drops the app printed on exit (faultline mode), or undefined. */
  dropReport() {
    const match = /BENCH_DROPS (\{.*\})/.exec(this.stderr);
    return match === null ? undefined : JSON.parse(match[1]);
  }
}

/** The collector stand-in, in its own process. */
export async function startCollector({ otlpPort = 0, sentryPort = 0, mode = 'ok', cpu } = {}) {
  const script = fileURLToPath(new URL('./collector.js', import.meta.url));
  const execArgv = [];
  const child = fork(script, ['--otlp-port', String(otlpPort), '--sentry-port', String(sentryPort), '--mode', mode], {
    cwd: BENCH_DIR,
    env: cleanEnv(),
    execArgv,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  if (cpu !== undefined && TASKSET !== undefined) spawn(TASKSET, ['-p', '-c', String(cpu), String(child.pid)], { stdio: 'ignore' });
  const ready = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`collector exited with ${code} before it was ready`)));
  });
  return new Collector(child, ready);
}

export class Collector {
  constructor(child, ready) {
    this.child = child;
    this.otlpUrl = ready.otlpUrl;
    this.otlpPort = ready.otlpPort;
    this.sentryPort = ready.sentryPort;
    this.nextId = 0;
    this.exited = new Promise((resolve) => child.once('exit', resolve));
  }

  #ask(type, extra = {}) {
    const id = ++this.nextId;
    return new Promise((resolve) => {
      const onMessage = (message) => {
        if (message?.id !== id) return;
        this.child.off('message', onMessage);
        resolve(message);
      };
      this.child.on('message', onMessage);
      this.child.send({ type, id, ...extra });
    });
  }

  async counts() {
    return (await this.#ask('counts')).counts;
  }

  async reset() {
    await this.#ask('reset');
  }

  async setMode(mode) {
    await this.#ask('mode', { mode });
  }

  async stop() {
    this.child.kill('SIGTERM');
    await this.exited;
  }
}

/** Runs autocannon in its own process and returns its summary. */
export async function runLoad({ url, connections = 32, durationSec, cpu, rate }) {
  const script = fileURLToPath(new URL('../node_modules/autocannon/autocannon.js', import.meta.url));
  const [command, argv] = pinned(cpu, process.execPath, [script, '-c', String(connections), '-d', String(durationSec), ...(rate === undefined ? [] : ['-R', String(rate)]), '-j', url]);
  const child = spawn(command, argv, { cwd: BENCH_DIR, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk) => (err += chunk));
  const code = await new Promise((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`autocannon exited with ${code}: ${err.slice(-1000)}`);
  const result = JSON.parse(out);
  return {
    rps: result.requests.average,
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    durationSec: result.duration,
  };
}
