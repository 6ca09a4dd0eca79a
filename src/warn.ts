// Telemetry must never throw into the host app, but a silent no-op hides misconfiguration.
// Each problem is reported as one stderr line, once per process.
const reported = new Set<string>();

export function warnOnce(key: string, message: string): void {
  if (reported.has(key)) return;
  reported.add(key);
  warn(message);
}

export function warn(message: string): void {
  try {
    process.stderr.write(`faultline: ${message}\n`);
  } catch { // eslint-disable-line faultline/no-blind-catch -- stderr is closed: nothing is left to tell
  }
}
