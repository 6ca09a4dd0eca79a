import type { ReceivedLogRecord, ReceivedSpan } from '../../src/receiver/index.ts';

/** The drop count faultline prints on stderr at exit when log lines were lost; 0 when it printed none. */
export function reportedLogDrops(stderr: string): number {
  const match = /faultline: (\d+) log line\(s\) were not exported/.exec(stderr);
  return match === null ? 0 : Number(match[1]);
}

export function spanNamed(spans: readonly ReceivedSpan[], name: string): ReceivedSpan {
  const matching = spans.filter((span) => span.name === name);
  if (matching.length !== 1) throw new Error(`expected one span named ${name}, got ${matching.length} among ${spans.map((s) => s.name).join(', ')}`);
  return matching[0]!;
}

export function recordsWith(logs: readonly ReceivedLogRecord[], key: string, value: unknown): ReceivedLogRecord[] {
  return logs.filter((record) => record.attributes[key] === value);
}

/** stdout lines that are JSON objects (the app may print other lines too). */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // not a log line
    }
  }
  return out;
}
