import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readCapture, type CaptureEntry } from 'faultline/receiver';
import { cleanEnv, runCli, runNode, type CliRun } from '../doctor/doctor-helpers.ts';
import { repoRoot } from '../helpers/run-app.ts';

/** `faultline incident <args>` from the built package, in `cwd`. */
export function incident(cwd: string, ...args: string[]): Promise<CliRun> {
  return runCli(['incident', ...args], { cwd, env: cleanEnv() });
}

/** `node <args>` in `cwd` (the generated test, tsc). */
export function node(cwd: string, args: string[]): Promise<CliRun> {
  return runNode(args, { cwd, env: cleanEnv() });
}

/**
 * An app repository outside this one, as a team that adopted faultline has it: the checkout's error
 * classes in src/, faultline installed (a link to this package), @types/node for tsc, and Grafana
 * datasource provisioning of its own (names and uids unlike the compose stack's).
 */
export function appRepository(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'faultline-incident-'));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'shop', type: 'module', private: true }, null, 2));
  mkdirSync(path.join(dir, 'src'));
  copyFileSync(path.join(repoRoot, 'examples', 'checkout', 'errors.ts'), path.join(dir, 'src', 'errors.ts'));
  mkdirSync(path.join(dir, 'node_modules', '@types'), { recursive: true });
  symlinkSync(repoRoot, path.join(dir, 'node_modules', 'faultline'));
  symlinkSync(path.join(repoRoot, 'node_modules', '@types', 'node'), path.join(dir, 'node_modules', '@types', 'node'));
  mkdirSync(path.join(dir, 'grafana', 'provisioning', 'datasources'), { recursive: true });
  writeFileSync(
    path.join(dir, 'grafana', 'provisioning', 'datasources', 'observability.yaml'),
    [
      'apiVersion: 1',
      'datasources:',
      '  - name: Metrics',
      '    type: prometheus',
      '    uid: prom-main',
      '  - name: "Shop traces"',
      '    type: tempo',
      '    uid: shop-tempo   # the links use this',
      '    jsonData:',
      '      tracesToLogsV2:',
      '        datasourceUid: shop-loki',
      '  - name: Shop logs',
      '    type: loki',
      "    uid: 'shop-loki'",
      '',
    ].join('\n'),
  );
  writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'es2023',
        lib: ['es2023'],
        module: 'nodenext',
        moduleResolution: 'nodenext',
        types: ['node'],
        strict: true,
        noUncheckedIndexedAccess: true,
        erasableSyntaxOnly: true,
        allowImportingTsExtensions: true,
        skipLibCheck: true,
        noEmit: true,
      },
      include: ['src', 'test'],
    }),
  );
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Every file under `dir` (node_modules left out) with its size and modification time, to see that nothing was written. */
export function tree(dir: string): string[] {
  const found: string[] = [];
  const visit = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (entry.name === 'node_modules') continue;
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) {
        found.push(`${path.relative(dir, full)}/`);
        visit(full);
      } else {
        const stat = statSync(full);
        found.push(`${path.relative(dir, full)} ${stat.size} ${stat.mtimeMs}`);
      }
    }
  };
  visit(dir);
  return found.sort();
}

/** One recorded error as the capture holds it, read with the public capture reader (not the code under test). */
export interface CapturedError {
  traceId: string;
  service: string;
  type: string;
  fingerprint: string | undefined;
  category: string | undefined;
  notes: string[];
  /** Types of the events after the outermost one, in order. */
  causes: string[];
}

interface JsonKeyValue {
  key: string;
  value: Record<string, unknown>;
}

function attributeValue(value: Record<string, unknown>): unknown {
  if ('stringValue' in value) return value.stringValue;
  if ('intValue' in value) return Number(value.intValue);
  if ('boolValue' in value) return value.boolValue;
  if ('arrayValue' in value) return ((value.arrayValue as { values?: Record<string, unknown>[] }).values ?? []).map(attributeValue);
  return undefined;
}

function attributes(list: JsonKeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map(({ key, value }) => [key, attributeValue(value)]));
}

/** The outermost recorded errors of every non-client span in a capture. */
export async function capturedErrors(file: string): Promise<CapturedError[]> {
  const errors: CapturedError[] = [];
  for await (const entry of readCapture(file)) {
    if (entry.signal !== 'traces') continue;
    for (const resource of (entry.request.resourceSpans ?? []) as { resource?: { attributes?: JsonKeyValue[] }; scopeSpans?: { spans?: Record<string, unknown>[] }[] }[]) {
      const service = String(attributes(resource.resource?.attributes)['service.name']);
      for (const scope of resource.scopeSpans ?? []) {
        for (const span of scope.spans ?? []) {
          if (span.kind === 3) continue;
          let current: CapturedError | undefined;
          for (const event of (span.events ?? []) as { name: string; attributes?: JsonKeyValue[] }[]) {
            if (event.name !== 'exception') continue;
            const values = attributes(event.attributes);
            if (values['exception.index'] === undefined || values['exception.index'] === 0) {
              current = {
                traceId: String(span.traceId),
                service,
                type: String(values['exception.type']),
                fingerprint: values['exception.fingerprint'] as string | undefined,
                category: values['error.category'] as string | undefined,
                notes: (values['exception.notes'] as string[] | undefined) ?? [],
                causes: [],
              };
              errors.push(current);
            } else {
              current?.causes.push(String(values['exception.type']));
            }
          }
        }
      }
    }
  }
  return errors;
}

/** The capture's trace lines for one trace, as Tempo's /api/traces answers: `batches`, ids in base64, pretty-printed. */
export async function tempoExport(file: string, traceId: string): Promise<string> {
  const batches: unknown[] = [];
  const base64 = (hex: unknown) => (typeof hex === 'string' && hex !== '' ? Buffer.from(hex, 'hex').toString('base64') : hex);
  for await (const entry of readCapture(file) as AsyncGenerator<CaptureEntry>) {
    if (entry.signal !== 'traces') continue;
    for (const resource of (entry.request.resourceSpans ?? []) as { scopeSpans?: { spans?: Record<string, unknown>[] }[] }[]) {
      const scopeSpans = (resource.scopeSpans ?? [])
        .map((scope) => ({
          ...scope,
          spans: (scope.spans ?? [])
            .filter((span) => span.traceId === traceId)
            .map((span) => ({ ...span, traceId: base64(span.traceId), spanId: base64(span.spanId), parentSpanId: base64(span.parentSpanId) })),
        }))
        .filter((scope) => scope.spans.length > 0);
      if (scopeSpans.length > 0) batches.push({ ...resource, scopeSpans });
    }
  }
  return JSON.stringify({ batches }, null, 2);
}

export function read(dir: string, file: string): string {
  return readFileSync(path.join(dir, file), 'utf8');
}
