// Dashboards as code. Run `node grafana/generate-dashboards.ts [outDir]` after editing; the JSON in
// grafana/dashboards is committed and a test fails when it differs from what this file generates.
//
// Queries use the telemetry contract's names only: app_errors_total{error_type, error_category,
// error_handled} and the resilience metrics (resilience_events_total, resilience_attempt_duration_seconds,
// resilience_circuit_state), plus service_name (promoted from service.name by Prometheus's OTLP receiver).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as common from '@grafana/grafana-foundation-sdk/common';
import {
  DashboardBuilder,
  DashboardCursorSync,
  DashboardLinkBuilder,
  QueryVariableBuilder,
  RowBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
  type Dashboard,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as BarGaugePanel } from '@grafana/grafana-foundation-sdk/bargauge';
import { PanelBuilder as LogsPanel } from '@grafana/grafana-foundation-sdk/logs';
import { DataqueryBuilder as LokiQuery } from '@grafana/grafana-foundation-sdk/loki';
import { DataqueryBuilder as PromQuery, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { DataqueryBuilder as TempoQuery, SearchTableType } from '@grafana/grafana-foundation-sdk/tempo';
import { PanelBuilder as TimeSeriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';

// The UIDs provisioned in grafana/provisioning/datasources/datasources.yaml.
export const DATASOURCES = {
  prometheus: { type: 'prometheus', uid: 'prometheus' },
  loki: { type: 'loki', uid: 'loki' },
  tempo: { type: 'tempo', uid: 'tempo' },
} as const;

const SERVICE = 'service_name=~"$service"';
const ERRORS = `app_errors_total{${SERVICE}}`;
const TYPE_LABELS = 'service_name, error_type, error_category';

/** Grafana Explore URL opening one query on one datasource. */
function exploreUrl(datasource: { type: string; uid: string }, query: Record<string, unknown>): string {
  const panes = {
    a: {
      datasource: datasource.uid,
      queries: [{ refId: 'A', datasource, ...query }],
      range: { from: 'now-1h', to: 'now' },
    },
  };
  return `/explore?schemaVersion=1&orgId=1&panes=${encodeURIComponent(JSON.stringify(panes))}`;
}

const ERROR_SPANS_SEARCH = exploreUrl(DATASOURCES.tempo, { queryType: 'traceql', query: '{ status = error }', limit: 50 });

/**
 * Errors counted over the dashboard's time range. increase() needs two samples, and a process that
 * crashed exported its counter once, so a series born inside the range counts its whole value.
 */
function errorsInRange(selector: string): string {
  return `(last_over_time(${selector}[$__range]) unless ${selector} offset $__range) or increase(${selector}[$__range])`;
}

function prom(expr: string, legend: string): PromQuery {
  return new PromQuery().datasource(DATASOURCES.prometheus).expr(expr).legendFormat(legend).refId('A');
}

function lastValue(): common.ReduceDataOptionsBuilder {
  return new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false);
}

function redAbove(value: number): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([
    { value: null, color: 'green' },
    { value, color: 'red' },
  ]);
}

export function errorsOverview(): Dashboard {
  return new DashboardBuilder('faultline · Errors overview')
    .uid('faultline-errors-overview')
    .description('Errors recorded by faultline (app.errors), by type, category and handling, with their logs and traces.')
    .tags(['faultline', 'errors'])
    .readonly()
    .tooltip(DashboardCursorSync.Crosshair)
    .time({ from: 'now-1h', to: 'now' })
    .refresh('30s')
    .link(
      new DashboardLinkBuilder('Error spans in Tempo')
        .url(ERROR_SPANS_SEARCH)
        .icon('external link')
        .tooltip('TraceQL { status = error } in Explore')
        .targetBlank(true),
    )
    .withVariable(
      new QueryVariableBuilder('service')
        .label('Service')
        .datasource(DATASOURCES.prometheus)
        .query('label_values(app_errors_total, service_name)')
        .definition('label_values(app_errors_total, service_name)')
        .refresh(VariableRefresh.OnTimeRangeChanged)
        .sort(VariableSort.AlphabeticalAsc)
        .multi(true)
        .includeAll(true)
        .allValue('.*'),
    )
    .withRow(new RowBuilder('Now').id(100))
    .withPanel(
      new StatPanel()
        .id(1)
        .title('Errors per second')
        .description('All error types together.')
        .datasource(DATASOURCES.prometheus)
        .withTarget(prom(`sum(rate(${ERRORS}[$__rate_interval]))`, 'errors/s'))
        .unit('short')
        .decimals(2)
        .graphMode(common.BigValueGraphMode.Area)
        .reduceOptions(lastValue())
        .height(5)
        .span(6),
    )
    .withPanel(
      new StatPanel()
        .id(2)
        .title('Unhandled errors')
        .description('Uncaught exceptions and unhandled rejections in the time range: each one ended a process.')
        .datasource(DATASOURCES.prometheus)
        .withTarget(prom(`sum(${errorsInRange(`app_errors_total{${SERVICE}, error_handled="false"}`)})`, 'unhandled').instant())
        .unit('short')
        .decimals(0)
        .noValue('0')
        .thresholds(redAbove(1))
        .colorMode(common.BigValueColorMode.Background)
        .reduceOptions(lastValue())
        .height(5)
        .span(6),
    )
    .withPanel(
      new StatPanel()
        .id(3)
        .title('Error types')
        .description('Distinct error types currently reported.')
        .datasource(DATASOURCES.prometheus)
        .withTarget(prom(`count(group by (error_type) (${ERRORS}))`, 'types').instant())
        .unit('short')
        .decimals(0)
        .reduceOptions(lastValue())
        .height(5)
        .span(6),
    )
    .withPanel(
      new StatPanel()
        .id(4)
        .title('New types (last hour)')
        .description('Error types first seen in the last hour; the NewErrorType alert fires for the same set.')
        .datasource(DATASOURCES.prometheus)
        .withTarget(prom(`count(${firstSeenInLastHour()})`, 'new types').instant())
        .unit('short')
        .decimals(0)
        .noValue('0')
        .thresholds(redAbove(1))
        .reduceOptions(lastValue())
        .height(5)
        .span(6),
    )
    .withRow(new RowBuilder('Rates').id(101))
    .withPanel(
      new TimeSeriesPanel()
        .id(5)
        .title('Error rate by type')
        .datasource(DATASOURCES.prometheus)
        .withTarget(prom(`sum by (error_type) (rate(${ERRORS}[$__rate_interval]))`, '{{error_type}}'))
        .unit('short')
        .axisLabel('errors / s')
        .fillOpacity(10)
        .legend(new common.VizLegendOptionsBuilder().displayMode(common.LegendDisplayMode.Table).placement(common.LegendPlacement.Right).calcs(['mean', 'max']).showLegend(true))
        .height(9)
        .span(12),
    )
    .withPanel(
      new TimeSeriesPanel()
        .id(6)
        .title('Error rate by category')
        .datasource(DATASOURCES.prometheus)
        .withTarget(prom(`sum by (error_category) (rate(${ERRORS}[$__rate_interval]))`, '{{error_category}}'))
        .unit('short')
        .axisLabel('errors / s')
        .fillOpacity(10)
        .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal))
        .height(9)
        .span(12),
    )
    .withPanel(
      new TimeSeriesPanel()
        .id(7)
        .title('Handled vs unhandled')
        .description('error_handled="false" are uncaught exceptions and unhandled rejections.')
        .datasource(DATASOURCES.prometheus)
        .withTarget(prom(`sum by (error_handled) (rate(${ERRORS}[$__rate_interval]))`, 'handled={{error_handled}}'))
        .unit('short')
        .axisLabel('errors / s')
        .fillOpacity(10)
        .overrideByName('handled=false', [{ id: 'color', value: { mode: 'fixed', fixedColor: 'red' } }])
        .overrideByName('handled=true', [{ id: 'color', value: { mode: 'fixed', fixedColor: 'blue' } }])
        .height(9)
        .span(12),
    )
    .withPanel(
      new BarGaugePanel()
        .id(8)
        .title('Top error types')
        .description('The ten types with the most errors in the time range.')
        .datasource(DATASOURCES.prometheus)
        .withTarget(
          prom(`topk(10, sum by (error_type, error_category) (${errorsInRange(ERRORS)}))`, '{{error_type}} ({{error_category}})').instant(),
        )
        .unit('short')
        .decimals(0)
        .orientation(common.VizOrientation.Horizontal)
        .displayMode(common.BarGaugeDisplayMode.Gradient)
        .reduceOptions(lastValue())
        .height(9)
        .span(12),
    )
    .withPanel(
      new TimeSeriesPanel()
        .id(12)
        .title('Errors per request (SLO objective: at most 0.1%)')
        .description(
          'Errors the service is responsible for (internal, dependency, timeout) per HTTP server request; the ErrorBudgetBurn alerts watch this ratio.',
        )
        .datasource(DATASOURCES.prometheus)
        .withTarget(
          prom(
            `sum by (service_name) (rate(app_errors_total{${SERVICE}, error_category=~"internal|dependency|timeout"}[$__rate_interval]))` +
              ` / (sum by (service_name) (rate(http_server_request_duration_seconds_count{${SERVICE}}[$__rate_interval])) > 0)`,
            '{{service_name}}',
          ),
        )
        .unit('percentunit')
        .min(0)
        .thresholds(redAbove(0.001))
        .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Line))
        .height(8)
        .span(24),
    )
    .withRow(new RowBuilder('New types, traces and logs').id(102))
    .withPanel(
      new TablePanel()
        .id(9)
        .title('Error types first seen in the last hour')
        .description('Seen in the last hour and not in the week before it.')
        .datasource(DATASOURCES.prometheus)
        .withTarget(prom(firstSeenInLastHour(), '{{error_type}}').instant().format(PromQueryFormat.Table))
        .withTransformation({ id: 'organize', options: { excludeByName: { Time: true, Value: true } } })
        .height(9)
        .span(12),
    )
    .withPanel(
      new TablePanel()
        .id(10)
        .title('Recent error traces')
        .description('Traces with an error span (TraceQL { status = error }); open one to see its exception events and logs.')
        .datasource(DATASOURCES.tempo)
        .withTarget(
          new TempoQuery()
            .datasource(DATASOURCES.tempo)
            .refId('A')
            .queryType('traceql')
            .query('{ status = error && resource.service.name =~ "${service:regex}" }')
            .tableType(SearchTableType.Traces)
            .limit(20),
        )
        .links([new DashboardLinkBuilder('All error spans in Explore').url(ERROR_SPANS_SEARCH).targetBlank(true)])
        .height(9)
        .span(12),
    )
    .withPanel(
      new LogsPanel()
        .id(11)
        .title('Error logs')
        .description('Log lines at ERROR and above; expand one and follow its trace_id to Tempo.')
        .datasource(DATASOURCES.loki)
        .withTarget(new LokiQuery().datasource(DATASOURCES.loki).refId('A').expr('{service_name=~"$service"} | severity_number >= 17').maxLines(200))
        .showTime(true)
        .wrapLogMessage(true)
        .enableLogDetails(true)
        .prettifyLogMessage(false)
        .sortOrder(common.LogsSortOrder.Descending)
        .height(12)
        .span(24),
    )
    // Resilience policies (docs/resilience.md): the same names as deploy/prometheus/rules/resilience.rules.yml.
    .withRow(new RowBuilder('Resilience').id(103))
    .withPanel(
      new TimeSeriesPanel()
        .id(12)
        .title('Circuit breakers not closed')
        .description('1 while a breaker (resilience.circuit.state) is open or half-open, by policy. The CircuitBreakerOpen alert fires after a minute.')
        .datasource(DATASOURCES.prometheus)
        .withTarget(
          prom(
            `max by (resilience_policy, resilience_circuit_state) (resilience_circuit_state{${SERVICE}, resilience_circuit_state!="closed"})`,
            '{{resilience_policy}} {{resilience_circuit_state}}',
          ),
        )
        .min(0)
        .max(1)
        .height(8)
        .span(12),
    )
    .withPanel(
      new TimeSeriesPanel()
        .id(13)
        .title('Resilience events by policy')
        .description('resilience.events per second: retries, give-ups, timeouts, rejections, fallbacks and breaker transitions. Their error types are on the span events (resilience.<event>) of each trace.')
        .datasource(DATASOURCES.prometheus)
        .withTarget(prom(`sum by (resilience_policy, resilience_event) (rate(resilience_events_total{${SERVICE}}[$__rate_interval]))`, '{{resilience_policy}} {{resilience_event}}'))
        .unit('reqps')
        .min(0)
        .height(8)
        .span(12),
    )
    .withPanel(
      new TimeSeriesPanel()
        .id(14)
        .title('Retries per call')
        .description('Retries over first attempts, by retry policy. Above 20% (the default retry budget) with more than one retry a second, the RetryStorm alert fires.')
        .datasource(DATASOURCES.prometheus)
        .withTarget(
          prom(
            `sum by (resilience_policy) (rate(resilience_events_total{${SERVICE}, resilience_event="retry"}[$__rate_interval]))` +
              ` / (sum by (resilience_policy) (rate(resilience_attempt_duration_seconds_count{${SERVICE}, resilience_attempt="1"}[$__rate_interval])) > 0)`,
            '{{resilience_policy}}',
          ),
        )
        .unit('percentunit')
        .min(0)
        .thresholds(redAbove(0.2))
        .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Line))
        .height(8)
        .span(12),
    )
    .withPanel(
      new TimeSeriesPanel()
        .id(15)
        .title('Attempt duration p95 by policy')
        .description('95th percentile of resilience.attempt.duration, every attempt of every policy (timeouts and rejections included).')
        .datasource(DATASOURCES.prometheus)
        .withTarget(
          prom(
            `histogram_quantile(0.95, sum by (resilience_policy, le) (rate(resilience_attempt_duration_seconds_bucket{${SERVICE}}[$__rate_interval])))`,
            '{{resilience_policy}}',
          ),
        )
        .unit('s')
        .min(0)
        .height(8)
        .span(12),
    )
    .build();
}

/** Types seen in the last hour that were not seen in the week before; the NewErrorType alert's set. */
function firstSeenInLastHour(): string {
  return (
    `group by (${TYPE_LABELS}) (present_over_time(${ERRORS}[1h]))` +
    ` unless group by (${TYPE_LABELS}) (present_over_time(${ERRORS}[1w] offset 1h))`
  );
}

/** Every generated dashboard, by file name, as the exact bytes that are committed. */
export function renderDashboards(): Map<string, string> {
  return new Map([['errors-overview.json', `${JSON.stringify(errorsOverview(), null, 2)}\n`]]);
}

export function writeDashboards(outDir: string): string[] {
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  for (const [name, text] of renderDashboards()) {
    const path = join(outDir, name);
    writeFileSync(path, text);
    written.push(path);
  }
  return written;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), 'dashboards'));
  for (const path of writeDashboards(outDir)) process.stdout.write(`wrote ${path}\n`);
}
