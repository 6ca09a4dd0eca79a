// The dashboards' PromQL and the alert rules, evaluated by a real Prometheus over what a real app
// under the preload produced. A misspelt metric or label, or a query that parses but matches
// nothing, fails here.
//
// The compose stack pushes metrics over OTLP to Prometheus 3; here Debian's Prometheus 2.x scrapes
// the app's Prometheus exporter instead. Two differences of the pull path are mapped in the scrape
// config, the way a user scraping apps directly would map them (docs/stack.md):
//   - service_name: OTLP promotes it from the service.name resource attribute; a pull target gets
//     it as a target label (and job is the service name, as OTLP derives it).
//   - the unit suffix: OTLP turns http.server.request.duration and resilience.attempt.duration
//     (unit s) into *_duration_seconds_*; the JS Prometheus exporter leaves the unit out.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import catalog from '../fixtures/stack/error-catalog.json' with { type: 'json' };
import { runApp, type AppRun } from '../helpers/run-app.ts';
import { list, readJson, readYaml, record, repoPath, text, type Tree } from './stack-files.ts';
import { requireTool } from './tools.ts';

const FIXTURE = 'test/fixtures/stack/errors-app.js';
const SERVICE = catalog.serviceName;
const CONTRACT_LABELS = ['error_type', 'error_category', 'error_handled'] as const;
type ContractLabel = (typeof CONTRACT_LABELS)[number];

// What the fixture records, by label: the only values the contract labels may take here.
const RECORDED: Record<ContractLabel, Set<string>> = {
  error_type: new Set(catalog.errors.map((entry) => entry.type)),
  error_category: new Set(catalog.errors.map((entry) => entry.category)),
  error_handled: new Set(catalog.errors.map((entry) => String(entry.handled))),
};

// Grafana's variables, as a dashboard would fill them in for the fixture's service.
const GRAFANA_VARIABLES: [RegExp, string][] = [
  [/\$__rate_interval/g, '30s'],
  [/\$__interval/g, '15s'],
  [/\$__range/g, '1h'],
  [/\$\{service(?::\w+)?\}|\$service\b/g, SERVICE],
];

interface Series {
  metric: Record<string, string>;
  value: [number, string];
}

let prometheusUrl = '';
let workDir = '';
let app: AppRun | undefined;
let prometheus: ChildProcess | undefined;
let prometheusLog = '';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function query(expr: string): Promise<Series[]> {
  const response = await fetch(`${prometheusUrl}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query: expr }) });
  const body = (await response.json()) as { status: string; error?: string; data?: { resultType: string; result: Series[] } };
  assert.equal(body.status, 'success', `Prometheus rejected the query:\n${expr}\n${String(body.error)}`);
  assert.equal(body.data?.resultType, 'vector', `${expr} returns an instant vector`);
  return body.data.result;
}

/** Retries `check` until it passes: Prometheus needs a few scrapes and rule evaluations. */
async function eventually<T>(what: string, check: () => Promise<T>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) {
        const appOutput = app === undefined ? '' : `\napp stderr: ${await appStderr()}`;
        throw new Error(`${what}: still failing after ${timeoutMs} ms${appOutput}\nprometheus: ${prometheusLog.slice(-2000)}`, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

async function appStderr(): Promise<string> {
  if (app === undefined) return '';
  const exited = await Promise.race([app.exited, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 10))]);
  return exited === undefined ? '(still running)' : `exited ${String(exited.code)}: ${exited.stderr.slice(-2000)}`;
}

function grafanaToPromQL(expr: string): string {
  let filled = expr;
  for (const [variable, value] of GRAFANA_VARIABLES) filled = filled.replace(variable, value);
  assert.ok(!filled.includes('$'), `a Grafana variable is left unfilled in ${filled}`);
  return filled;
}

/** Labels an expression pins with a matcher (e.g. error_handled="false"). */
function pinnedLabels(expr: string): Set<string> {
  return new Set([...expr.matchAll(/(\w+)\s*(?:=~|!=|!~|=)\s*"/g)].map((match) => match[1] ?? ''));
}

/**
 * The result is non-empty and speaks the contract: each legend label exists on every series;
 * contract labels carry only values the app recorded, and all of them unless the expression pins
 * that label; service_name, where present, is the app's.
 */
function assertContractSeries(result: Series[], expr: string, legend = ''): void {
  assert.ok(result.length > 0, `no series for\n${expr}`);
  const seen = new Map<ContractLabel, Set<string>>();
  for (const { metric } of result) {
    for (const match of legend.matchAll(/\{\{\s*(\w+)\s*\}\}/g)) {
      const label = match[1] ?? '';
      assert.ok(label in metric, `legend {{${label}}} has no label on ${JSON.stringify(metric)} from\n${expr}`);
    }
    if ('service_name' in metric) assert.equal(metric.service_name, SERVICE);
    for (const label of CONTRACT_LABELS) {
      const value = metric[label];
      if (value === undefined) continue;
      assert.ok(RECORDED[label].has(value), `${label}="${value}" was never recorded by the app (${expr})`);
      const values = seen.get(label) ?? new Set<string>();
      values.add(value);
      seen.set(label, values);
    }
  }
  const pinned = pinnedLabels(expr);
  for (const [label, values] of seen) {
    if (!pinned.has(label)) assert.deepEqual([...values].sort(), [...RECORDED[label]].sort(), `${label} values in\n${expr}`);
  }
}

/** The label sets of the result, for exact comparisons. */
function labelSets(result: Series[], labels: string[]): string[] {
  return result.map(({ metric }) => JSON.stringify(Object.fromEntries(labels.map((label) => [label, metric[label]])))).sort();
}

function expectedTypes(filter: (entry: (typeof catalog.errors)[number]) => boolean): string[] {
  return catalog.errors
    .filter(filter)
    .map((entry) => JSON.stringify({ service_name: SERVICE, error_type: entry.type, error_category: entry.category }))
    .sort();
}

interface Rule {
  name: string;
  kind: 'record' | 'alert';
  expr: string;
}

function rules(): Rule[] {
  const found: Rule[] = [];
  for (const group of list(readYaml('deploy/prometheus/rules/errors.rules.yml').groups, 'groups')) {
    for (const rule of list(record(group, 'group').rules, 'rules')) {
      const entry = record(rule, 'rule');
      const kind = entry.record === undefined ? 'alert' : 'record';
      found.push({ name: text(entry.record ?? entry.alert, 'name'), kind, expr: text(entry.expr, 'expr') });
    }
  }
  return found;
}

/** Starts the app and Prometheus and waits until the app's series have been scraped. */
async function startStack(): Promise<void> {
  const binary = requireTool('prometheus');
  assert.ok(
    existsSync(repoPath('dist/register.js')),
    'dist/register.js is missing: build the package first (npm run build); the fixture runs under node --import faultline/register',
  );
  workDir = mkdtempSync(path.join(tmpdir(), 'faultline-prometheus-'));
  const appPort = await freePort();
  const prometheusPort = await freePort();

  app = runApp(FIXTURE, {
    env: {
      OTEL_SERVICE_NAME: SERVICE,
      OTEL_METRICS_EXPORTER: 'prometheus',
      OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
      OTEL_EXPORTER_PROMETHEUS_PORT: String(appPort),
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
    },
  });
  await app.waitForLine(/serving on \d+/, 30_000);

  // The real rule file, with every group evaluated each second so the test need not wait minutes.
  const ruleFile = readYaml('deploy/prometheus/rules/errors.rules.yml');
  for (const group of list(ruleFile.groups, 'groups')) record(group, 'group').interval = '1s';
  writeFileSync(path.join(workDir, 'errors.rules.yml'), stringify(ruleFile));

  const config: Tree = {
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    rule_files: [path.join(workDir, 'errors.rules.yml')],
    scrape_configs: [
      {
        job_name: SERVICE,
        static_configs: [{ targets: [`127.0.0.1:${appPort}`], labels: { service_name: SERVICE } }],
        metric_relabel_configs: [
          {
            source_labels: ['__name__'],
            regex: '(http_server_request|resilience_attempt)_duration_(bucket|count|sum)',
            target_label: '__name__',
            replacement: '${1}_duration_seconds_${2}',
          },
        ],
      },
    ],
  };
  writeFileSync(path.join(workDir, 'prometheus.yml'), stringify(config));
  prometheus = spawn(
    binary,
    [
      `--config.file=${path.join(workDir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(workDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${prometheusPort}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  prometheus.stdout?.on('data', (chunk: Buffer) => (prometheusLog += chunk.toString()));
  prometheus.stderr?.on('data', (chunk: Buffer) => (prometheusLog += chunk.toString()));
  prometheusUrl = `http://127.0.0.1:${prometheusPort}`;
  await eventually('Prometheus becomes ready', async () => {
    const response = await fetch(`${prometheusUrl}/-/ready`);
    assert.equal(response.status, 200);
  });
  // Rates need two scrapes of every series the app makes.
  await eventually('the app is scraped', async () => {
    const rates = await query(`count by (error_type) (rate(app_errors_total{service_name="${SERVICE}"}[30s]) > 0)`);
    assert.equal(rates.length, RECORDED.error_type.size);
  });
}

describe('dashboards and alerts against a real Prometheus scraping a real app', { timeout: 240_000 }, () => {
  // Every test awaits the setup, so a setup failure is reported on each test with its cause.
  let ready: Promise<void> = Promise.resolve();
  before(() => {
    ready = startStack();
    ready.catch(() => undefined);
  });

  after(async () => {
    for (const child of [prometheus, app?.child]) {
      if (child === undefined || child.exitCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    if (workDir !== '') rmSync(workDir, { recursive: true, force: true });
  });

  it('the app exposes app_errors_total with exactly the contract labels and the recorded values', async () => {
    await ready;
    const result = await query(`app_errors_total{service_name="${SERVICE}"}`);
    assert.deepEqual(
      result.map(({ metric }) => `${metric.error_type}/${metric.error_category}/${metric.error_handled}`).sort(),
      catalog.errors.map((entry) => `${entry.type}/${entry.category}/${String(entry.handled)}`).sort(),
    );
    // Nothing unbounded rides on the counter: the contract's labels plus target and scope identity.
    const allowed = new Set(['__name__', ...CONTRACT_LABELS, 'service_name', 'job', 'instance', 'otel_scope_name', 'otel_scope_version']);
    for (const { metric } of result) {
      assert.equal(metric.job, SERVICE);
      for (const label of Object.keys(metric)) assert.ok(allowed.has(label), `unexpected label ${label} on app_errors_total`);
    }
    const requests = await query(`sum by (service_name) (http_server_request_duration_seconds_count{service_name="${SERVICE}"})`);
    assert.equal(requests.length, 1, 'the request counter the SLO divides by');
  });

  it('every Prometheus query of every dashboard returns the series the app produced', async () => {
    await ready;
    const dashboard = readJson('grafana/dashboards/errors-overview.json');
    const targets: { panel: string; expr: string; legend: string }[] = [];
    for (const panel of list(dashboard.panels, 'panels').map((entry) => record(entry, 'panel'))) {
      if (record(panel.datasource ?? {}, 'datasource').type !== 'prometheus') continue;
      for (const target of list(panel.targets, 'targets').map((entry) => record(entry, 'target'))) {
        targets.push({ panel: String(panel.title), expr: text(target.expr, 'expr'), legend: String(target.legendFormat ?? '') });
      }
    }
    assert.ok(targets.length >= 9, `found ${targets.length} Prometheus queries`);
    for (const { panel, expr, legend } of targets) {
      const promql = grafanaToPromQL(expr);
      await eventually(`panel "${panel}"`, async () => assertContractSeries(await query(promql), promql, legend));
    }
    // The template variable lists the app's service.
    const variable = record(list(record(dashboard.templating, 'templating').list, 'variables')[0], 'variable');
    const [, metric, label] = /label_values\((\w+), (\w+)\)/.exec(text(variable.query, 'query')) ?? [];
    const response = await fetch(`${prometheusUrl}/api/v1/label/${String(label)}/values?match[]=${String(metric)}`);
    assert.deepEqual(((await response.json()) as { data: string[] }).data, [SERVICE]);
  });

  it('every recording rule returns series for the app, with the contract labels', async () => {
    await ready;
    for (const rule of rules().filter((entry) => entry.kind === 'record')) {
      await eventually(`recording rule ${rule.name}`, async () => {
        assertContractSeries(await query(rule.expr), rule.expr);
        assertContractSeries(await query(rule.name), rule.name);
      });
    }
  });

  it('every alert expression evaluates, and returns the app series its condition selects', async () => {
    await ready;
    const alerts = new Map(rules().filter((entry) => entry.kind === 'alert').map((entry) => [entry.name, entry.expr]));
    const expected: Record<string, () => Promise<void>> = {
      // Each request cycle records one LEDGER_CORRUPT with handled=false.
      UnhandledError: async () => {
        const result = await query(alerts.get('UnhandledError') ?? '');
        assert.deepEqual(labelSets(result, ['service_name', 'error_type', 'error_category']), expectedTypes((entry) => !entry.handled));
      },
      // A fresh Prometheus has seen every type for less than an hour.
      NewErrorType: async () => {
        const result = await query(alerts.get('NewErrorType') ?? '');
        assert.deepEqual(labelSets(result, ['service_name', 'error_type', 'error_category']), expectedTypes(() => true));
      },
      // Three of every five requests fail with internal, dependency or timeout errors: far above
      // every burn-rate threshold.
      ErrorBudgetBurnFast: async () => {
        const result = await query(alerts.get('ErrorBudgetBurnFast') ?? '');
        assert.deepEqual(labelSets(result, ['service_name']), [JSON.stringify({ service_name: SERVICE })]);
      },
      ErrorBudgetBurnSlow: async () => {
        const result = await query(alerts.get('ErrorBudgetBurnSlow') ?? '');
        assert.deepEqual(labelSets(result, ['service_name']), [JSON.stringify({ service_name: SERVICE })]);
      },
      // The baseline needs history a test cannot wait for (promtool's cases cover the condition):
      // here the expression must evaluate, and its current-rate leg must select every type.
      ErrorTypeSpike: async () => {
        const expr = alerts.get('ErrorTypeSpike') ?? '';
        await query(expr);
        const currentRate = 'service_error_type:app_errors:rate5m > 0.05';
        assert.ok(expr.includes(currentRate), `ErrorTypeSpike still compares ${currentRate}`);
        const result = await query(currentRate);
        assertContractSeries(result, currentRate);
        assert.deepEqual(labelSets(result, ['service_name', 'error_type', 'error_category']), expectedTypes(() => true));
      },
    };
    assert.deepEqual([...alerts.keys()].sort(), Object.keys(expected).sort(), 'every alert has an expectation here');
    for (const [name, check] of Object.entries(expected)) await eventually(`alert ${name}`, check);
  });

  it('Prometheus fires the alerts with the labels Alertmanager routes by', async () => {
    await ready;
    await eventually('ALERTS', async () => {
      const firing = await query(`ALERTS{alertstate="firing", service_name="${SERVICE}"}`);
      const byName = (name: string): string[] => labelSets(firing.filter(({ metric }) => metric.alertname === name), ['service_name', 'error_type', 'error_category']);
      assert.deepEqual(byName('UnhandledError'), expectedTypes((entry) => !entry.handled));
      assert.deepEqual(byName('NewErrorType'), expectedTypes(() => true));
      const burning = await query(`ALERTS{alertname="ErrorBudgetBurnFast", service_name="${SERVICE}"}`);
      assert.equal(burning.length, 1, 'the fast burn is pending or firing (it waits 2m before firing)');
      assert.equal(burning[0]?.metric.severity, 'page');
    });
  });
});
