// Alertmanager's configuration and routing, checked by amtool.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { list, readYaml, record, text } from './stack-files.ts';
import { requireTool, run, runOk } from './tools.ts';

const CONFIG = 'deploy/alertmanager/alertmanager.yml';

/** The receiver amtool resolves for an alert with these labels. */
function routeOf(labels: string[]): string {
  const amtool = requireTool('amtool');
  const result = runOk(amtool, ['config', 'routes', 'test', `--config.file=${CONFIG}`, ...labels]);
  return result.stdout.trim();
}

describe('Alertmanager', () => {
  it('the configuration passes amtool check-config', () => {
    const amtool = requireTool('amtool');
    const result = runOk(amtool, ['check-config', CONFIG]);
    assert.match(result.stdout, /SUCCESS/);
  });

  it('routes dependency and timeout errors to the infrastructure receiver', () => {
    assert.equal(routeOf(['alertname=ErrorTypeSpike', 'error_category=dependency', 'error_type=ECONNREFUSED', 'service_name=checkout']), 'infra');
    assert.equal(routeOf(['alertname=ErrorTypeSpike', 'error_category=timeout', 'service_name=checkout']), 'infra');
  });

  it('routes the resilience alerts (open breaker, retry storm, full bulkhead) to the infrastructure receiver', () => {
    for (const alertname of ['CircuitBreakerOpen', 'RetryStorm', 'BulkheadRejections']) {
      assert.equal(routeOf([`alertname=${alertname}`, 'resilience_policy=payment-gateway', 'service_name=checkout', 'severity=warning']), 'infra', alertname);
    }
  });

  it('routes client errors to the low-priority receiver', () => {
    for (const category of ['validation', 'not_found', 'conflict', 'unauthorized', 'forbidden', 'rate_limited', 'cancelled']) {
      assert.equal(routeOf(['alertname=NewErrorType', `error_category=${category}`, 'service_name=checkout']), 'low-priority', category);
    }
  });

  it('routes internal errors, budget burns and unhandled errors of any category to the app team', () => {
    assert.equal(routeOf(['alertname=ErrorTypeSpike', 'error_category=internal', 'service_name=checkout']), 'app-team');
    assert.equal(routeOf(['alertname=ErrorBudgetBurnFast', 'severity=page', 'service_name=checkout']), 'app-team');
    assert.equal(routeOf(['alertname=UnhandledError', 'error_category=validation', 'service_name=checkout']), 'app-team');
    assert.equal(routeOf(['alertname=UnhandledError', 'error_category=dependency', 'service_name=checkout']), 'app-team');
  });

  it('amtool reports a wrong expectation as a failure, so the routing checks above can fail', () => {
    const amtool = requireTool('amtool');
    const result = run(amtool, ['config', 'routes', 'test', `--config.file=${CONFIG}`, '--verify.receivers=app-team', 'error_category=dependency']);
    assert.notEqual(result.status, 0);
  });

  it('every receiver works without secrets: webhooks to a host on the compose network', () => {
    const config = readYaml(CONFIG);
    const receivers = list(config.receivers, 'receivers').map((receiver) => record(receiver, 'receiver'));
    assert.deepEqual(receivers.map((receiver) => text(receiver.name, 'name')).sort(), ['app-team', 'infra', 'low-priority']);
    for (const receiver of receivers) {
      const hooks = list(receiver.webhook_configs, `${String(receiver.name)}.webhook_configs`);
      assert.ok(hooks.length > 0);
      for (const hook of hooks) {
        const url = new URL(text(record(hook, 'webhook').url, 'url'));
        assert.equal(url.protocol, 'http:');
        assert.ok(!url.hostname.includes('.'), `${url.href} should be a compose service name, not an outside host`);
      }
    }
  });
});
