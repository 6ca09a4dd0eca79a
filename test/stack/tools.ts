// The Prometheus and Alertmanager command-line tools the stack tests run. They come from Debian's
// packages (prometheus: Prometheus 2.42 with promtool; prometheus-alertmanager: amtool), which
// .ci/run installs. A missing tool fails the test with the command that installs it: these tests
// never skip.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { repoRoot } from '../helpers/run-app.ts';

const INSTALL = 'apt-get install -y prometheus prometheus-alertmanager (.ci/run does this)';

export interface ToolRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Fails the calling test unless `name` runs; returns the name to pass to run(). */
export function requireTool(name: string): string {
  const probe = spawnSync(name, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  if (probe.error !== undefined) {
    assert.fail(`${name} is not installed or not on PATH (${probe.error.message}); install it with: ${INSTALL}`);
  }
  return name;
}

export function run(tool: string, args: string[], cwd: string = repoRoot): ToolRun {
  const result = spawnSync(tool, args, { cwd, encoding: 'utf8', timeout: 120_000 });
  if (result.error !== undefined) assert.fail(`${tool} ${args.join(' ')} could not run: ${result.error.message}`);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs a tool and fails with its whole output unless it exits 0. */
export function runOk(tool: string, args: string[], cwd?: string): ToolRun {
  const result = run(tool, args, cwd);
  assert.equal(result.status, 0, `${tool} ${args.join(' ')} exited ${String(result.status)}\n${result.stdout}\n${result.stderr}`);
  return result;
}
