import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot, type AppRun } from '../helpers/run-app.ts';

export const CLI = path.join(repoRoot, 'dist', 'cli.js');

export interface ReportLine {
  mark: string;
  id: string;
  summary: string;
  fix?: string;
}

/** The check lines of a people-format report: mark, id, summary, and the fix line under it. */
export function parseReport(text: string): ReportLine[] {
  const lines: ReportLine[] = [];
  for (const line of text.split('\n')) {
    const check = /^ {2}([✓✗!·–]) (\S+)\s+(.*)$/.exec(line);
    if (check !== null) {
      lines.push({ mark: check[1]!, id: check[2]!, summary: check[3]! });
      continue;
    }
    const fix = /^\s+fix: (.*)$/.exec(line);
    const last = lines.at(-1);
    if (fix !== null && last !== undefined) last.fix = fix[1]!;
  }
  return lines;
}

export function lineOf(lines: ReportLine[], id: string): ReportLine {
  const found = lines.find((line) => line.id === id);
  if (found === undefined) throw new Error(`no check ${id} in the report: ${lines.map((line) => line.id).join(', ')}`);
  return found;
}

/** The parent's environment without anything that configures telemetry (as runApp does). */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(OTEL_|FAULTLINE_|NODE_OPTIONS$|NODE_TEST)/.test(key)) env[key] = value;
  }
  return { ...env, ...extra };
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
}

/** `faultline <args>` from the built package, in `cwd`, with exactly `env`. */
export function runCli(args: string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<CliRun> {
  return runNode([CLI, ...args], options);
}

/** `node <args>` in `cwd` (the repository by default), with exactly `env`; resolves when it has closed. */
export function runNode(args: string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<CliRun> {
  const started = Date.now();
  const child = spawn(process.execPath, args, { cwd: options.cwd ?? repoRoot, env: options.env ?? cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => {
    child.on('close', (code) => {
      resolve({ code, stdout, stderr, elapsedMs: Date.now() - started });
    });
  });
}

export interface AppFolderOptions {
  packageJson?: Record<string, unknown>;
  files?: Record<string, string>;
  /** Installed packages: name → the folder a symlink in node_modules points at (or copies, for real nesting). */
  links?: Record<string, string>;
}

/** A throwaway app folder outside the repository, removed by `remove()`. */
export function appFolder(options: AppFolderOptions = {}): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'faultline-doctor-'));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify(options.packageJson ?? { name: 'doctor-app', type: 'module' }, null, 2));
  for (const [file, text] of Object.entries(options.files ?? {})) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  for (const [name, target] of Object.entries(options.links ?? {})) {
    const link = path.join(dir, 'node_modules', name);
    mkdirSync(path.dirname(link), { recursive: true });
    symlinkSync(target, link, 'dir');
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Resolves with everything the app wrote on stderr once the doctor's report (its closing line) is in. */
export function waitForReport(run: AppRun, timeoutMs = 20_000): Promise<string> {
  let stderr = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`no doctor report within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    run.child.stderr?.on('data', (chunk: string) => {
      stderr += chunk;
      if (/^faultline doctor: (no check failed|\d+ of \d+ checks failed)/m.test(stderr)) {
        clearTimeout(timer);
        resolve(stderr);
      }
    });
    void run.exited.then((exit) => {
      clearTimeout(timer);
      if (/^faultline doctor: (no check failed|\d+ of \d+ checks failed)/m.test(exit.stderr)) resolve(exit.stderr);
      else reject(new Error(`the app exited (${String(exit.code)}) without a doctor report; stderr: ${exit.stderr}`));
    });
  });
}
