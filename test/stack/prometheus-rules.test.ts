// Prometheus configuration and alert rules, checked by Prometheus's own promtool.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { at, isRecord, list, readText, readYaml, record, repoPath, strings, text, type Tree } from './stack-files.ts';
import { requireTool, runOk } from './tools.ts';

const CONFIG = 'deploy/prometheus/prometheus.yml';
// Each rule file with its promtool unit tests.
const RULE_FILES = [
  { rules: 'deploy/prometheus/rules/errors.rules.yml', tests: 'deploy/prometheus/tests/errors.test.yml' },
  { rules: 'deploy/prometheus/rules/resilience.rules.yml', tests: 'deploy/prometheus/tests/resilience.test.yml' },
];

// Settings the compose stack's Prometheus 3 needs and Prometheus 2.x cannot parse. Nothing else
// may differ, so 2.x's promtool checks the rest of the real file.
const PROMETHEUS_3_ONLY = ['otlp'];

interface AlertRule {
  alert: string;
  expr: string;
  labels: Tree;
  annotations: Tree;
}

function alertRules(): AlertRule[] {
  const alerts: AlertRule[] = [];
  for (const group of RULE_FILES.flatMap(({ rules }) => list(readYaml(rules).groups, 'groups'))) {
    for (const rule of list(record(group, 'group').rules, 'rules')) {
      const entry = record(rule, 'rule');
      if (entry.alert === undefined) continue;
      alerts.push({
        alert: text(entry.alert, 'alert'),
        expr: text(entry.expr, 'expr'),
        labels: record(entry.labels ?? {}, 'labels'),
        annotations: record(entry.annotations ?? {}, 'annotations'),
      });
    }
  }
  return alerts;
}

describe('Prometheus configuration and alert rules', () => {
  it('the config passes promtool check config once the Prometheus-3-only block is set aside', () => {
    const promtool = requireTool('promtool');
    const config = readYaml(CONFIG);
    assert.ok(isRecord(config.otlp), 'the compose Prometheus needs its otlp block (resource attribute promotion)');
    const compatible: Tree = {};
    for (const [key, value] of Object.entries(config)) if (!PROMETHEUS_3_ONLY.includes(key)) compatible[key] = value;

    const dir = mkdtempSync(path.join(tmpdir(), 'faultline-promtool-'));
    try {
      // The rule_files glob is relative to the config file, as in the container.
      cpSync(repoPath('deploy/prometheus/rules'), path.join(dir, 'rules'), { recursive: true });
      writeFileSync(path.join(dir, 'prometheus.yml'), stringify(compatible));
      const result = runOk(promtool, ['check', 'config', path.join(dir, 'prometheus.yml')]);
      for (const { rules } of RULE_FILES) {
        const file = path.basename(rules).replace(/\./g, '\\.');
        assert.match(result.stdout + result.stderr, new RegExp(file), `check config must have found and checked ${rules}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the rules pass promtool check rules', () => {
    const promtool = requireTool('promtool');
    for (const { rules } of RULE_FILES) {
      const result = runOk(promtool, ['check', 'rules', rules]);
      assert.match(result.stdout, /SUCCESS: \d+ rules found/, rules);
    }
  });

  it('the rule unit tests pass promtool test rules', () => {
    const promtool = requireTool('promtool');
    for (const { tests } of RULE_FILES) {
      const result = runOk(promtool, ['test', 'rules', tests]);
      assert.match(result.stdout, /SUCCESS/, tests);
    }
  });

  it('every rule file in the folder Prometheus loads has its unit tests here', () => {
    const files = readdirSync(repoPath('deploy/prometheus/rules')).filter((name) => name.endsWith('.rules.yml')).sort();
    assert.deepEqual(files, RULE_FILES.map(({ rules }) => path.basename(rules)).sort());
  });

  it('every alert has a rule test where it fires and one where it stays quiet', () => {
    const cases = new Map<string, { fires: number; quiet: number }>();
    for (const group of RULE_FILES.flatMap(({ tests }) => list(readYaml(tests).tests, 'tests'))) {
      for (const test of list(record(group, 'test').alert_rule_test ?? [], 'alert_rule_test')) {
        const entry = record(test, 'alert_rule_test');
        const name = text(entry.alertname, 'alertname');
        const counts = cases.get(name) ?? { fires: 0, quiet: 0 };
        if (list(entry.exp_alerts ?? [], 'exp_alerts').length > 0) counts.fires += 1;
        else counts.quiet += 1;
        cases.set(name, counts);
      }
    }
    const alerts = alertRules();
    assert.ok(alerts.length >= 5, 'spike, new type, unhandled, and fast and slow budget burn');
    for (const { alert } of alerts) {
      const counts = cases.get(alert);
      assert.ok(counts !== undefined && counts.fires > 0, `${alert} has no test case where it fires`);
      assert.ok(counts.quiet > 0, `${alert} has no test case where it stays quiet`);
    }
  });

  it('every alert tells the on-call what happened and what to do, with a runbook that exists', () => {
    const runbooks = readText('docs/runbooks.md');
    const anchors = new Set([...runbooks.matchAll(/^#{2,3} (.+)$/gm)].map((match) => slug(match[1] ?? '')));
    for (const { alert, annotations, labels } of alertRules()) {
      for (const key of ['summary', 'description', 'runbook', 'runbook_url']) {
        assert.ok(typeof annotations[key] === 'string' && annotations[key] !== '', `${alert} lacks the ${key} annotation`);
      }
      const url = text(annotations.runbook_url, `${alert}.runbook_url`);
      const [file, anchor] = url.split('#');
      assert.equal(file, 'docs/runbooks.md', `${alert}: runbook_url points at docs/runbooks.md`);
      assert.ok(anchor !== undefined && anchors.has(anchor), `${alert}: docs/runbooks.md has no section #${String(anchor)}`);
      assert.ok(typeof labels.severity === 'string', `${alert} has a severity label`);
    }
  });

  it('rules group only by labels of the telemetry contract', () => {
    // Alert outputs themselves are pinned by the promtool cases' exp_labels; this catches a
    // misspelt label in a recording rule no alert test happens to reach.
    const allowed = new Set(['service_name', 'error_type', 'error_category', 'error_handled', 'resilience_policy', 'resilience_strategy', 'resilience_event']);
    const byClauses = RULE_FILES.flatMap(({ rules }) => [...readText(rules).matchAll(/by \(([^)]*)\)/g)]);
    assert.ok(byClauses.length > 0);
    for (const match of byClauses) {
      for (const label of (match[1] ?? '').split(',').map((name) => name.trim())) {
        assert.ok(allowed.has(label), `rules group by ${label}, which is not in the telemetry contract`);
      }
    }
  });

  it('the compose Prometheus promotes the resource attributes dashboards and alerts group by', () => {
    const config = readYaml(CONFIG);
    const promoted = strings(at(config, 'otlp.promote_resource_attributes'), 'otlp.promote_resource_attributes');
    for (const attribute of ['service.name', 'service.namespace', 'service.version', 'deployment.environment.name']) {
      assert.ok(promoted.includes(attribute), `${attribute} is promoted to a label`);
    }
    assert.match(String(at(config, 'storage.tsdb.out_of_order_time_window')), /^\d+[mh]$/, 'OTLP pushes may arrive out of order');
    assert.deepEqual(strings(config.rule_files, 'rule_files'), ['rules/*.rules.yml']);
  });
});

/** GitHub's heading anchor: lower case, spaces to dashes, punctuation dropped. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replace(/ /g, '-');
}
