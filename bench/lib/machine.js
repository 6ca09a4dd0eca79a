// What the report says about the machine it ran on.
import os from 'node:os';
import { readFileSync } from 'node:fs';
import process from 'node:process';

export function machineInfo() {
  let model = os.cpus()[0]?.model?.trim() ?? 'unknown CPU';
  try {
    const match = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match !== null) model = match[1].trim();
  } catch {
    // Not Linux: os.cpus() is good enough.
  }
  return {
    cpu: model,
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

/** One-minute load average, to tell whether something else was running at the same time. */
export function loadAverage() {
  return os.loadavg()[0];
}
