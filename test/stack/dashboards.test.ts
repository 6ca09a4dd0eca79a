// Dashboards as code: the committed JSON is exactly what the generator writes, and every panel
// points at a provisioned datasource.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { filesUnder, isRecord, list, readJson, readYaml, record, repoPath, repoRoot, text, type Tree } from './stack-files.ts';

const GENERATOR = 'grafana/generate-dashboards.ts';
const DASHBOARDS = 'grafana/dashboards';

function provisionedDatasources(): Map<string, string> {
  const byUid = new Map<string, string>();
  for (const file of filesUnder('grafana/provisioning/datasources')) {
    for (const datasource of list(readYaml(file).datasources, `${file}: datasources`)) {
      const entry = record(datasource, file);
      byUid.set(text(entry.uid, `${file}: uid`), text(entry.type, `${file}: type`));
    }
  }
  return byUid;
}

/** Every `datasource` object anywhere in a dashboard: panels, targets, variables, annotations. */
function datasourceRefs(node: unknown, where: string, found: { where: string; ref: Tree }[] = []): { where: string; ref: Tree }[] {
  if (Array.isArray(node)) {
    node.forEach((child, index) => datasourceRefs(child, `${where}[${index}]`, found));
  } else if (isRecord(node)) {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'datasource' && isRecord(value)) found.push({ where: `${where}.datasource`, ref: value });
      else datasourceRefs(value, `${where}.${key}`, found);
    }
  }
  return found;
}

describe('Grafana dashboards', () => {
  it('regenerating the dashboards changes nothing in the committed JSON', () => {
    const outDir = mkdtempSync(path.join(tmpdir(), 'faultline-dashboards-'));
    try {
      const result = spawnSync(process.execPath, [GENERATOR, outDir], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
      assert.equal(result.status, 0, `${GENERATOR} failed:\n${result.stdout}\n${result.stderr}`);
      const generated = readdirSync(outDir).sort();
      const committed = readdirSync(repoPath(DASHBOARDS)).sort();
      assert.deepEqual(generated, committed, 'the generator writes exactly the committed files');
      assert.ok(generated.includes('errors-overview.json'));
      for (const name of generated) {
        const fresh = readFileSync(path.join(outDir, name));
        const stored = readFileSync(repoPath(path.join(DASHBOARDS, name)));
        assert.ok(fresh.equals(stored), `${DASHBOARDS}/${name} differs from what ${GENERATOR} writes: run node ${GENERATOR}`);
      }
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });

  it('every datasource a dashboard references is provisioned, with the same type', () => {
    const datasources = provisionedDatasources();
    for (const file of filesUnder(DASHBOARDS)) {
      const refs = datasourceRefs(readJson(file), file);
      assert.ok(refs.length > 0, `${file} references no datasource at all`);
      for (const { where, ref } of refs) {
        const uid = text(ref.uid, `${where}.uid`);
        assert.ok(datasources.has(uid), `${where}: datasource uid ${uid} is not provisioned`);
        assert.equal(ref.type, datasources.get(uid), `${where}: type of ${uid}`);
      }
    }
  });

  it('the errors overview has the panels on-call needs, on the contract metric', () => {
    const dashboard = readJson(`${DASHBOARDS}/errors-overview.json`);
    assert.equal(dashboard.uid, 'faultline-errors-overview', 'alert annotations link to this uid');
    const panels = list(dashboard.panels, 'panels').map((panel) => record(panel, 'panel'));
    const byTitle = new Map(panels.map((panel) => [String(panel.title), panel]));
    const exprOf = (title: string): string => {
      const panel = byTitle.get(title);
      assert.ok(panel !== undefined, `no panel titled ${title}`);
      return list(panel.targets, `${title}.targets`)
        .map((target) => {
          const entry = record(target, 'target');
          return String(entry.expr ?? entry.query);
        })
        .join('\n');
    };
    assert.match(exprOf('Error rate by type'), /sum by \(error_type\) \(rate\(app_errors_total\{/);
    assert.match(exprOf('Error rate by category'), /sum by \(error_category\) \(rate\(app_errors_total\{/);
    assert.match(exprOf('Handled vs unhandled'), /sum by \(error_handled\)/);
    assert.match(exprOf('Top error types'), /topk\(10, sum by \(error_type, error_category\)/);
    assert.match(exprOf('Error types first seen in the last hour'), /present_over_time\(app_errors_total\{[^}]*\}\[1h\]\)\) unless .*\[1w\] offset 1h/);
    assert.match(exprOf('Recent error traces'), /status = error/);
    // The resilience row, on the names the resilience alert rules use.
    assert.match(exprOf('Circuit breakers not closed'), /resilience_circuit_state\{[^}]*resilience_circuit_state!="closed"\}/);
    assert.match(exprOf('Resilience events by policy'), /sum by \(resilience_policy, resilience_event\) \(rate\(resilience_events_total\{/);
    assert.match(exprOf('Retries per call'), /resilience_event="retry".*\/.*resilience_attempt_duration_seconds_count\{[^}]*resilience_attempt="1"\}/);
    assert.match(exprOf('Attempt duration p95 by policy'), /histogram_quantile\(0\.95, sum by \(resilience_policy, le\) \(rate\(resilience_attempt_duration_seconds_bucket\{/);
    assert.equal(record(byTitle.get('Recent error traces')?.datasource, 'tempo panel').uid, 'tempo');
    assert.equal(record(byTitle.get('Error logs')?.datasource, 'logs panel').uid, 'loki');
    assert.equal(byTitle.get('Error logs')?.type, 'logs');
    const links = list(dashboard.links, 'links').map((link) => record(link, 'link'));
    const tempoSearch = links.find((link) => String(link.url).startsWith('/explore'));
    assert.ok(tempoSearch !== undefined, 'a dashboard link opens the Tempo search for error spans');
    const panes = JSON.parse(decodeURIComponent(String(tempoSearch.url).split('panes=')[1] ?? '')) as { a: { datasource: string; queries: { query: string }[] } };
    assert.equal(panes.a.datasource, 'tempo');
    assert.equal(panes.a.queries[0]?.query, '{ status = error }');
  });

  it('Grafana loads the generated dashboards and opens on the errors overview', () => {
    const provider = record(list(readYaml('grafana/provisioning/dashboards/dashboards.yaml').providers, 'providers')[0], 'provider');
    const providerPath = text(record(provider.options, 'options').path, 'options.path');
    const grafana = record(record(readYaml('docker-compose.yml').services, 'services').grafana, 'grafana');
    const mounts = list(grafana.volumes, 'grafana.volumes').map((volume) => text(volume, 'volume'));
    assert.ok(mounts.includes(`./${DASHBOARDS}:${providerPath}:ro`), `compose mounts ${DASHBOARDS} where the provider reads (${providerPath})`);
    const home = text(record(grafana.environment, 'environment').GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH, 'home dashboard');
    assert.equal(path.posix.dirname(home), providerPath);
    assert.ok(readdirSync(repoPath(DASHBOARDS)).includes(path.posix.basename(home)), `home dashboard ${home} exists`);
  });
});
