import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

// Grafana Explore links for an occurrence: its trace in Tempo and its log lines in Loki, through
// the datasources the repository provisions (grafana/provisioning/datasources/*.yaml), so that
// the links open on the stack the team runs. The provisioning file is read for the `name`, `type`
// and `uid` of each datasource only, line by line: a YAML parser is not worth a dependency for
// three keys, and a file this reader cannot follow falls back to the compose stack's names.

export interface Datasource {
  name: string;
  type: string;
  uid: string;
}

export interface GrafanaDatasources {
  tempo: Datasource;
  loki: Datasource;
  /** The file they were read from, or undefined for the defaults. */
  source: string | undefined;
}

const DEFAULTS: Record<'tempo' | 'loki', Datasource> = {
  tempo: { name: 'Tempo', type: 'tempo', uid: 'tempo' },
  loki: { name: 'Loki', type: 'loki', uid: 'loki' },
};

/** The Tempo and Loki datasources provisioned under `dir` (defaults for what is not found). */
export function provisionedDatasources(dir: string): GrafanaDatasources {
  let files: string[];
  try {
    files = readdirSync(dir).filter((name) => /\.ya?ml$/.test(name)).sort();
  } catch { // eslint-disable-line faultline/no-blind-catch -- no provisioning folder: the compose stack's names
    return { ...DEFAULTS, source: undefined };
  }
  const found: Partial<Record<'tempo' | 'loki', Datasource>> = {};
  let source: string | undefined;
  for (const file of files) {
    const full = path.join(dir, file);
    for (const datasource of datasourcesIn(readFileSync(full, 'utf8'))) {
      if ((datasource.type === 'tempo' || datasource.type === 'loki') && found[datasource.type] === undefined) {
        found[datasource.type] = datasource;
        source ??= full;
      }
    }
  }
  return { tempo: found.tempo ?? DEFAULTS.tempo, loki: found.loki ?? DEFAULTS.loki, source };
}

/** The list items under `datasources:` with their name, type and uid (uid defaults to the name, as Grafana's does not). */
export function datasourcesIn(yaml: string): Datasource[] {
  const found: Datasource[] = [];
  let inList = false;
  let itemIndent = -1;
  let current: Partial<Datasource> | undefined;
  const finish = () => {
    if (current?.name !== undefined && current.type !== undefined) found.push({ name: current.name, type: current.type, uid: current.uid ?? current.name });
    current = undefined;
  };
  for (const raw of yaml.split('\n')) {
    const line = raw.replace(/\s+#.*$/, '').replace(/\s+$/, '');
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    const indent = line.length - line.trimStart().length;
    if (indent === 0) {
      finish();
      inList = /^datasources:\s*$/.test(line);
      continue;
    }
    if (!inList) continue;
    const item = /^(\s*)-\s+(.*)$/.exec(line);
    if (item !== null && (itemIndent === -1 || (item[1] ?? '').length === itemIndent)) {
      finish();
      itemIndent = (item[1] ?? '').length;
      current = {};
      read(current, item[2] ?? '');
      continue;
    }
    // Keys of the item sit two columns past its dash; deeper lines belong to nested maps.
    if (current !== undefined && indent === itemIndent + 2) read(current, line.trim());
  }
  finish();
  return found;
}

function read(item: Partial<Datasource>, pair: string): void {
  const match = /^(name|type|uid):\s*(.+)$/.exec(pair);
  if (match === null) return;
  const value = (match[2] ?? '').trim().replace(/^(['"])(.*)\1$/, '$2');
  item[match[1] as keyof Datasource] = value;
}

/** Grafana Explore, one pane on `datasource` with `query`, over `[from, to]` (epoch ms). */
function exploreUrl(grafanaUrl: string, datasource: Datasource, query: Record<string, unknown>, from: number, to: number): string {
  const panes = {
    incident: {
      datasource: datasource.uid,
      queries: [{ refId: 'A', datasource: { type: datasource.type, uid: datasource.uid }, ...query }],
      range: { from: String(from), to: String(to) },
    },
  };
  return `${grafanaUrl.replace(/\/+$/, '')}/explore?schemaVersion=1&orgId=1&panes=${encodeURIComponent(JSON.stringify(panes))}`;
}

const MARGIN_MS = 5 * 60 * 1000;

export function traceLink(grafanaUrl: string, datasources: GrafanaDatasources, traceId: string, at: number): string {
  return exploreUrl(grafanaUrl, datasources.tempo, { queryType: 'traceql', query: traceId }, at - MARGIN_MS, at + MARGIN_MS);
}

/** The trace's log lines: trace_id is structured metadata in Loki, so a label filter after the stream selector. */
export function logsLink(grafanaUrl: string, datasources: GrafanaDatasources, traceId: string, service: string, at: number): string {
  const expr = `{service_name=${JSON.stringify(service)}} | trace_id=${JSON.stringify(traceId)}`;
  return exploreUrl(grafanaUrl, datasources.loki, { expr, queryType: 'range' }, at - MARGIN_MS, at + MARGIN_MS);
}
