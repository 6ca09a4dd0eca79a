import type { ConfigProblem, FaultlineConfig } from '../config.ts';
import type { Check } from './doctor.ts';

type Env = Record<string, string | undefined>;

const MINIMUM_NODE = [22, 15] as const;

export function nodeCheck(version: string = process.versions.node): Check {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const recent = major > MINIMUM_NODE[0] || (major === MINIMUM_NODE[0] && minor >= MINIMUM_NODE[1]);
  const data = { version, minimum: MINIMUM_NODE.join('.') };
  if (recent) return { id: 'node', status: 'pass', summary: `Node ${version} (faultline needs 22.15 or later)`, data };
  return { id: 'node', status: 'fail', summary: `Node ${version} is older than 22.15, which faultline needs`, fix: 'run the app on Node 22.15 or later (24 LTS is what faultline is tested on)', data };
}

/** Values that did not parse: faultline ignored each and used the default. */
export function problemChecks(problems: readonly ConfigProblem[]): Check[] {
  return problems.map((problem) => ({
    id: `config:${problem.name}`,
    status: 'fail',
    summary: problem.message,
    fix: `set ${problem.name} to ${problem.expected}, or unset it`,
    data: { ...problem },
  }));
}

export function samplerCheck(config: FaultlineConfig, env: Env): Check {
  const { name, ratio } = config.sampler;
  const data = { sampler: name, ratio };
  const ratioSampler = name === 'traceidratio' || name === 'parentbased_traceidratio';
  if (!config.tracesExporter.some((exporter) => exporter !== 'none')) {
    return { id: 'sampler', status: 'info', summary: `${name}: no trace exporter, so the sampler decides nothing that leaves the process`, data };
  }
  if (name === 'always_off') {
    return { id: 'sampler', status: 'fail', summary: 'OTEL_TRACES_SAMPLER=always_off drops every trace, error spans included', fix: 'unset OTEL_TRACES_SAMPLER (parentbased_always_on), or sample a share with parentbased_traceidratio', data };
  }
  if (ratioSampler && ratio === 0) {
    return { id: 'sampler', status: 'fail', summary: `OTEL_TRACES_SAMPLER=${name} with OTEL_TRACES_SAMPLER_ARG=${env.OTEL_TRACES_SAMPLER_ARG ?? '0'} keeps no new trace`, fix: 'set OTEL_TRACES_SAMPLER_ARG to the share to keep, above 0 (1 keeps every trace)', data };
  }
  if (name === 'parentbased_always_off') {
    return { id: 'sampler', status: 'warn', summary: 'parentbased_always_off keeps only traces an upstream service sampled: requests that start here make none', fix: 'use parentbased_always_on unless every request arrives with a sampled traceparent', data };
  }
  if (ratioSampler) return { id: 'sampler', status: 'pass', summary: `${name} keeps ${formatShare(ratio)} of new traces`, data };
  return { id: 'sampler', status: 'pass', summary: `${name} keeps every new trace`, data };
}

function formatShare(ratio: number): string {
  return `${String(Math.round(ratio * 10000) / 100)}%`;
}

export function exportersCheck(config: FaultlineConfig, env: Env): Check {
  const chosen = { traces: config.tracesExporter, metrics: config.metricsExporter, logs: config.logsExporter };
  const data = { disabled: config.disabled, ...chosen };
  if (config.disabled) {
    const by = ['OTEL_SDK_DISABLED', 'FAULTLINE_DISABLED'].filter((name) => /^(true|1|yes|on)$/i.test(env[name]?.trim() ?? ''));
    return { id: 'exporters', status: 'warn', summary: `faultline is turned off (${by.join(', ') || 'disabled'}): nothing is recorded or exported`, fix: `unset ${by.join(' and ') || 'OTEL_SDK_DISABLED'} to turn it on`, data };
  }
  const described = Object.entries(chosen).map(([signal, names]) => `${signal}: ${names.length === 0 ? 'none' : names.join('+')}`).join(', ');
  const sending = Object.values(chosen).some((names) => names.some((name) => name !== 'none'));
  if (!sending) {
    return {
      id: 'exporters',
      status: 'fail',
      summary: `every exporter is none (${described}): nothing leaves the process`,
      fix: 'set OTEL_TRACES_EXPORTER, OTEL_METRICS_EXPORTER and OTEL_LOGS_EXPORTER to otlp (the default), or OTEL_SDK_DISABLED=true to turn faultline off on purpose',
      data,
    };
  }
  return { id: 'exporters', status: 'pass', summary: described, data };
}

/** `service.name` and the resource attributes the signals carry. */
export function serviceCheck(attributes: Record<string, unknown>, detected: readonly string[] = []): Check {
  const serviceName = typeof attributes['service.name'] === 'string' ? attributes['service.name'] : 'unknown_service';
  const given = Object.entries(attributes)
    .filter(([key]) => key !== 'service.name' && !detected.includes(key))
    .map(([key, value]) => `${key}=${String(value)}`);
  const parts = [`service.name=${serviceName}`, ...given];
  if (detected.length > 0) parts.push(`+ ${detected.length} detected (${detected.slice(0, 4).join(', ')}${detected.length > 4 ? ', …' : ''})`);
  const data = { serviceName, attributes };
  if (serviceName.startsWith('unknown_service')) {
    return { id: 'service', status: 'warn', summary: `${parts.join(', ')}: dashboards and alerts group by service.name`, fix: 'set OTEL_SERVICE_NAME to the name the service should have in Grafana', data };
  }
  return { id: 'service', status: 'pass', summary: parts.join(', '), data };
}

/** The checks both sides make from the configuration alone. */
export function configurationChecks(config: FaultlineConfig, problems: readonly ConfigProblem[], env: Env): Check[] {
  return [...problemChecks(problems), exportersCheck(config, env), samplerCheck(config, env)];
}
