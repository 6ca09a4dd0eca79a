// Structural checks of the compose stack's YAML: what no running tool here can check, because
// Docker does not run in CI. Each check is a mistake that would make `docker compose up` fail or
// silently lose data.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  at,
  componentType,
  filesUnder,
  hostPort,
  isRecord,
  list,
  readText,
  readYaml,
  record,
  repoPath,
  strings,
  text,
  type Tree,
} from './stack-files.ts';

const COLLECTOR_CONFIGS = ['collector-config.yaml', 'deploy/collector/load-balancing-tier.yaml'];
const SECTIONS = ['receivers', 'processors', 'exporters', 'connectors', 'extensions'] as const;

// Collector component types that were renamed or removed; configs must use the current names.
const DEPRECATED: Record<string, Record<string, string>> = {
  exporters: {
    otlp: 'renamed otlp_grpc',
    otlphttp: 'renamed otlp_http',
    loki: 'removed: send OTLP to Loki /otlp with otlp_http',
    logging: 'renamed debug',
    loadbalancing: 'renamed load_balancing',
    jaeger: 'removed: Jaeger accepts OTLP',
  },
  connectors: { spanmetrics: 'renamed span_metrics', servicegraph: 'renamed service_graph' },
  processors: {
    spanmetrics: 'removed: use the span_metrics connector',
    // Not deprecated, but this stack batches in the exporters (sending_queue.batch), where the
    // batches are also what the persistent queue stores.
    batch: 'replaced by exporter-side batching (sending_queue.batch)',
  },
  receivers: {},
  extensions: {},
};

const compose = readYaml('docker-compose.yml');
const services = record(compose.services, 'services');

function service(name: string): Tree {
  return record(services[name], `services.${name}`);
}

/** The container ports a compose service publishes. */
function publishedPorts(name: string): Set<number> {
  const ports = new Set<number>();
  for (const entry of list(service(name).ports ?? [], `${name}.ports`)) {
    const mapping = text(entry, `${name}.ports`).split('/')[0] ?? '';
    ports.add(Number(mapping.split(':').at(-1)));
  }
  return ports;
}

function pipelines(config: Tree): [string, Tree][] {
  return Object.entries(record(at(config, 'service.pipelines'), 'service.pipelines')).map(([name, pipeline]) => [name, record(pipeline, name)]);
}

/** Every port each compose service listens on, from its published ports and its own config. */
function listeningPorts(): Map<string, Set<number>> {
  const ports = new Map<string, Set<number>>();
  for (const name of Object.keys(services)) ports.set(name, publishedPorts(name));
  const add = (name: string, port: number): void => {
    ports.get(name)?.add(port);
  };
  const collector = readYaml('collector-config.yaml');
  for (const protocol of Object.values(record(at(collector, 'receivers.otlp.protocols'), 'otlp protocols'))) {
    add('otel-collector', hostPort(text(record(protocol, 'protocol').endpoint, 'endpoint')).port);
  }
  const tempo = readYaml('deploy/tempo/tempo.yaml');
  add('tempo', Number(at(tempo, 'server.http_listen_port')));
  for (const protocol of Object.values(record(at(tempo, 'distributor.receivers.otlp.protocols'), 'tempo otlp'))) {
    add('tempo', hostPort(text(record(protocol, 'protocol').endpoint, 'endpoint')).port);
  }
  add('loki', Number(at(readYaml('deploy/loki/loki.yaml'), 'server.http_listen_port')));
  return ports;
}

/** Asserts that `endpoint` names a compose service on a port that service listens on. */
function assertReachable(endpoint: string, where: string, ports: Map<string, Set<number>>): void {
  const { host, port } = hostPort(endpoint);
  const open = ports.get(host);
  assert.ok(open !== undefined, `${where}: ${endpoint} names ${host}, which is not a compose service`);
  assert.ok(open.has(port), `${where}: ${endpoint} uses port ${port}, but ${host} listens on ${[...open].join(', ')}`);
}

describe('Collector configuration', () => {
  for (const file of COLLECTOR_CONFIGS) {
    describe(file, () => {
      const config = readYaml(file);

      it('every pipeline component is defined, and every defined component is used', () => {
        const used = new Map<string, Set<string>>(SECTIONS.map((section) => [section, new Set<string>()]));
        const connectors = new Set(Object.keys(record(config.connectors ?? {}, 'connectors')));
        for (const [name, pipeline] of pipelines(config)) {
          for (const role of ['receivers', 'processors', 'exporters'] as const) {
            for (const id of strings(pipeline[role] ?? [], `${name}.${role}`)) {
              const section = role !== 'processors' && connectors.has(id) ? 'connectors' : role;
              assert.ok(id in record(config[section] ?? {}, section), `pipeline ${name} uses ${role.slice(0, -1)} ${id}, which is not defined`);
              used.get(section)?.add(id);
            }
          }
          assert.ok(strings(pipeline.receivers, `${name}.receivers`).length > 0, `${name} has receivers`);
          assert.ok(strings(pipeline.exporters, `${name}.exporters`).length > 0, `${name} has exporters`);
        }
        for (const id of strings(at(config, 'service.extensions'), 'service.extensions')) {
          assert.ok(id in record(config.extensions ?? {}, 'extensions'), `service.extensions lists ${id}, which is not defined`);
          used.get('extensions')?.add(id);
        }
        for (const section of SECTIONS) {
          for (const id of Object.keys(record(config[section] ?? {}, section))) {
            assert.ok(used.get(section)?.has(id), `${section.slice(0, -1)} ${id} is defined but no pipeline (or service.extensions) uses it`);
          }
        }
      });

      it('memory_limiter comes first in every pipeline', () => {
        for (const [name, pipeline] of pipelines(config)) {
          const processors = strings(pipeline.processors ?? [], `${name}.processors`);
          assert.equal(componentType(processors[0] ?? ''), 'memory_limiter', `pipeline ${name} starts with ${processors[0] ?? 'no processor'}`);
        }
      });

      it('uses current component names only', () => {
        for (const section of SECTIONS) {
          for (const id of Object.keys(record(config[section] ?? {}, section))) {
            const reason = DEPRECATED[section]?.[componentType(id)];
            assert.equal(reason, undefined, `${section.slice(0, -1)} ${id}: ${String(reason)}`);
          }
        }
      });

      it('receivers listen on all interfaces, as a container must', () => {
        for (const [name, protocol] of Object.entries(record(at(config, 'receivers.otlp.protocols'), 'otlp protocols'))) {
          assert.equal(hostPort(text(record(protocol, name).endpoint, `${name}.endpoint`)).host, '0.0.0.0', `otlp ${name} receiver`);
        }
        assert.equal(hostPort(text(at(config, 'extensions.health_check.endpoint'), 'health_check.endpoint')).host, '0.0.0.0');
      });

      it('every exporter retries with backoff and batches on the exporter side', () => {
        for (const [id, exporter] of Object.entries(record(config.exporters, 'exporters'))) {
          const settings = record(exporter, id);
          // load_balancing configures its per-backend exporters under protocol.otlp.
          const effective = componentType(id) === 'load_balancing' ? record(at(settings, 'protocol.otlp'), `${id}.protocol.otlp`) : settings;
          assert.equal(at(effective, 'retry_on_failure.enabled'), true, `${id} retries`);
          assert.equal(at(effective, 'sending_queue.enabled'), true, `${id} queues`);
          if (componentType(id) !== 'load_balancing') assert.ok(isRecord(at(effective, 'sending_queue.batch')), `${id} batches in its sending_queue`);
        }
      });

      it("exposes the Collector's own metrics", () => {
        const readers = list(at(config, 'service.telemetry.metrics.readers'), 'telemetry readers');
        const exporter = record(at(record(readers[0], 'reader'), 'pull.exporter.prometheus'), 'pull prometheus');
        assert.equal(exporter.host, '0.0.0.0');
        assert.equal(exporter.port, 8888);
      });
    });
  }

  it('the compose Collector keeps its exporter queues on disk, on a volume its user can write', () => {
    const config = readYaml('collector-config.yaml');
    const directory = text(at(config, 'extensions.file_storage.directory'), 'file_storage.directory');
    for (const [id, exporter] of Object.entries(record(config.exporters, 'exporters'))) {
      assert.equal(at(record(exporter, id), 'sending_queue.storage'), 'file_storage', `${id} persists its queue`);
    }
    const collector = service('otel-collector');
    const mount = strings(collector.volumes, 'otel-collector.volumes').find((volume) => directory.startsWith(`${volume.split(':')[1] ?? '?'}/`));
    assert.ok(mount !== undefined, `the file_storage directory ${directory} is on a mounted volume`);
    const volume = mount.split(':')[0] ?? '';
    assert.ok(!volume.startsWith('.'), `${volume} is a named volume, not a bind mount`);
    // The image runs as UID 10001 from scratch; a new named volume belongs to root.
    const init = service('otel-collector-volume-init');
    assert.deepEqual(list(init.command, 'init.command').slice(0, 3), ['chown', '-R', '10001:10001']);
    assert.ok(strings(init.volumes, 'init.volumes').some((entry) => entry.startsWith(`${volume}:`)), 'the init step owns the same volume');
    assert.equal(at(record(collector.depends_on, 'depends_on'), 'otel-collector-volume-init.condition'), 'service_completed_successfully');
  });

  it('keeps every trace with an error plus a configurable share of the rest', () => {
    const config = readYaml('collector-config.yaml');
    const policies = list(at(config, 'processors.tail_sampling.policies'), 'policies').map((policy) => record(policy, 'policy'));
    const errors = policies.find((policy) => policy.type === 'status_code');
    assert.deepEqual(at(record(errors, 'status_code policy'), 'status_code.status_codes'), ['ERROR']);
    const share = policies.find((policy) => policy.type === 'probabilistic');
    const percentage = text(at(record(share, 'probabilistic policy'), 'probabilistic.sampling_percentage'), 'sampling_percentage');
    const variable = /^\$\{env:(\w+):-(\d+(?:\.\d+)?)\}$/.exec(percentage);
    assert.ok(variable !== null, `sampling_percentage ${percentage} comes from an environment variable with a default`);
    const environment = record(service('otel-collector').environment, 'otel-collector.environment');
    assert.equal(environment[variable[1] ?? ''], `\${${variable[1] ?? ''}:-${variable[2] ?? ''}}`, 'compose passes it through with the same default');
    for (const [name, pipeline] of pipelines(config)) {
      if (name.startsWith('traces')) assert.ok(strings(pipeline.processors, name).includes('tail_sampling'), `${name} samples`);
    }
  });
});

describe('Compose stack', () => {
  it('pins every image to a version', () => {
    for (const [name, definition] of Object.entries(services)) {
      const settings = record(definition, name);
      if (settings.build !== undefined) continue;
      const image = text(settings.image, `${name}.image`);
      const tag = image.includes('@') ? image.split('@')[1] : image.split(':')[1];
      assert.ok(tag !== undefined && tag !== 'latest' && /\d/.test(tag), `${name} uses ${image}; pin a version`);
    }
    assert.match(text(service('prometheus').image, 'prometheus.image'), /^prom\/prometheus:v3\./, 'the OTLP receiver and the otlp block need Prometheus 3');
  });

  it('mounts repository files read-only and keeps data on named volumes', () => {
    const declared = new Set(Object.keys(record(compose.volumes, 'volumes')));
    const usedVolumes = new Set<string>();
    for (const [name, definition] of Object.entries(services)) {
      for (const entry of strings(record(definition, name).volumes ?? [], `${name}.volumes`)) {
        const [source = '', target = '', mode] = entry.split(':');
        assert.ok(target.startsWith('/'), `${name}: ${entry} mounts at an absolute path`);
        if (source.startsWith('./')) {
          assert.ok(existsSync(repoPath(source)), `${name}: ${source} exists in the repository`);
          assert.equal(mode, 'ro', `${name}: ${entry} is read-only`);
        } else {
          assert.ok(declared.has(source), `${name}: volume ${source} is declared under volumes:`);
          usedVolumes.add(source);
        }
      }
    }
    assert.deepEqual([...declared].sort(), [...usedVolumes].sort(), 'every declared volume is used');
  });

  it('health-checks every service that has a way to probe itself', () => {
    // The Collector and Tempo images have no shell or HTTP client; see the comment in the file.
    const noProbe = new Set(['otel-collector', 'tempo', 'otel-collector-volume-init', 'checkout']);
    for (const name of Object.keys(services)) {
      if (noProbe.has(name)) continue;
      const test = list(at(service(name), 'healthcheck.test'), `${name}.healthcheck.test`);
      assert.equal(test[0], 'CMD', `${name} probes without a shell`);
    }
    assert.ok(publishedPorts('otel-collector').has(hostPort(text(at(readYaml('collector-config.yaml'), 'extensions.health_check.endpoint'), 'health')).port), 'the Collector health endpoint is published');
    assert.ok(publishedPorts('tempo').has(3200), "Tempo's /ready is published");
  });

  it('ports agree between compose, the Collector, the backends and the datasources', () => {
    const ports = listeningPorts();
    const collector = readYaml('collector-config.yaml');
    for (const [id, exporter] of Object.entries(record(collector.exporters, 'exporters'))) {
      assertReachable(text(record(exporter, id).endpoint, `${id}.endpoint`), `collector exporter ${id}`, ports);
    }
    assert.equal(at(collector, 'exporters.otlp_http/loki.endpoint'), 'http://loki:3100/otlp', "Loki's OTLP endpoint");
    assert.equal(at(collector, 'exporters.otlp_http/prometheus.endpoint'), 'http://prometheus:9090/api/v1/otlp', "Prometheus's OTLP endpoint");

    const tempo = readYaml('deploy/tempo/tempo.yaml');
    for (const write of list(at(tempo, 'metrics_generator.storage.remote_write'), 'remote_write')) {
      const url = text(record(write, 'remote_write').url, 'remote_write.url');
      assertReachable(url, 'tempo remote_write', ports);
      assert.equal(new URL(url).pathname, '/api/v1/write');
    }

    const prometheus = readYaml('deploy/prometheus/prometheus.yml');
    for (const manager of list(at(prometheus, 'alerting.alertmanagers'), 'alertmanagers')) {
      for (const target of strings(at(record(list(record(manager, 'am').static_configs, 'static')[0], 'static'), 'targets'), 'targets')) {
        assertReachable(target, 'prometheus alerting', ports);
      }
    }
    for (const job of list(prometheus.scrape_configs, 'scrape_configs')) {
      const scrape = record(job, 'scrape');
      for (const group of list(scrape.static_configs, 'static_configs')) {
        for (const target of strings(record(group, 'group').targets, 'targets')) {
          if (target.startsWith('localhost:')) continue;
          assertReachable(target, `prometheus job ${String(scrape.job_name)}`, ports);
        }
      }
    }

    for (const file of filesUnder('grafana/provisioning/datasources')) {
      for (const datasource of list(readYaml(file).datasources, 'datasources')) {
        const entry = record(datasource, 'datasource');
        assertReachable(text(entry.url, 'url'), `datasource ${String(entry.name)}`, ports);
      }
    }

    const checkout = record(service('checkout').environment, 'checkout.environment');
    assertReachable(text(checkout.OTEL_EXPORTER_OTLP_ENDPOINT, 'OTEL_EXPORTER_OTLP_ENDPOINT'), 'example service', ports);
    assert.equal(hostPort(text(checkout.OTEL_EXPORTER_OTLP_ENDPOINT, 'endpoint')).port, 4318, 'faultline exports OTLP over HTTP');
  });

  it('gives Prometheus the flags the pipeline relies on', () => {
    const flags = strings(service('prometheus').command, 'prometheus.command');
    for (const flag of ['--web.enable-otlp-receiver', '--web.enable-remote-write-receiver', '--enable-feature=exemplar-storage']) {
      assert.ok(flags.includes(flag), `prometheus runs with ${flag}`);
    }
    const mounts = strings(service('prometheus').volumes, 'prometheus.volumes');
    assert.ok(mounts.includes('./deploy/prometheus/rules:/etc/prometheus/rules:ro'), 'the rules sit beside the config, where rule_files looks');
  });

  it('runs the example service under the preload, sending to the Collector', () => {
    const checkout = service('checkout');
    assert.equal(at(checkout, 'build.dockerfile'), 'deploy/example/Dockerfile');
    const dockerfile = readText('deploy/example/Dockerfile');
    assert.match(dockerfile, /^FROM node:\d+\.\d+\.\d+/m, 'the example image is pinned');
    assert.match(dockerfile, /npm run build/);
    assert.ok(strings(checkout.command, 'checkout.command').join(' ').includes('examples/checkout/'));
    // The context is the repository root: keep the host's node_modules and dist out of it.
    const ignored = readText('deploy/example/Dockerfile.dockerignore').split('\n');
    for (const pattern of ['**/node_modules', 'dist']) assert.ok(ignored.includes(pattern), `the build context leaves out ${pattern}`);
  });
});

describe('Backends', () => {
  it('Loki stores OTLP logs with structured metadata on schema v13 and tsdb', () => {
    const loki = readYaml('deploy/loki/loki.yaml');
    const schemas = list(at(loki, 'schema_config.configs'), 'schema configs').map((entry) => record(entry, 'schema'));
    const latest = schemas.at(-1);
    assert.equal(latest?.schema, 'v13');
    assert.equal(latest.store, 'tsdb');
    assert.equal(at(loki, 'limits_config.allow_structured_metadata'), true);
    // Loki's default OTLP mapping makes service.name the service_name index label; overriding
    // the defaults would lose it.
    const otlp = record(at(loki, 'limits_config') as Tree, 'limits').otlp_config;
    assert.ok(otlp === undefined || at(record(otlp, 'otlp_config'), 'resource_attributes.ignore_defaults') !== true);
  });

  it('Tempo 3 runs without ingesters and generates span metrics and service graphs with exemplars', () => {
    const tempo = readYaml('deploy/tempo/tempo.yaml');
    for (const removed of ['ingester', 'ingester_client', 'compactor', 'metrics_generator_client']) {
      assert.equal(tempo[removed], undefined, `Tempo 3 has no ${removed} block`);
    }
    const overrides = record(tempo.overrides, 'overrides');
    assert.deepEqual(Object.keys(overrides), ['defaults'], 'only the scoped overrides format');
    assert.deepEqual(strings(at(overrides, 'defaults.metrics_generator.processors'), 'processors').sort(), ['service-graphs', 'span-metrics']);
    const writes = list(at(tempo, 'metrics_generator.storage.remote_write'), 'remote_write');
    assert.ok(writes.every((write) => record(write, 'write').send_exemplars === true), 'exemplars reach Prometheus');
    for (const protocol of Object.values(record(at(tempo, 'distributor.receivers.otlp.protocols'), 'protocols'))) {
      assert.equal(hostPort(text(record(protocol, 'protocol').endpoint, 'endpoint')).host, '0.0.0.0');
    }
  });
});

describe('Grafana provisioning', () => {
  const files = filesUnder('grafana/provisioning').filter((file) => /\.ya?ml$/.test(file));
  const datasources = new Map<string, Tree>();
  for (const file of filesUnder('grafana/provisioning/datasources')) {
    for (const datasource of list(readYaml(file).datasources, 'datasources')) {
      const entry = record(datasource, 'datasource');
      const uid = text(entry.uid, 'uid');
      if (datasources.has(uid)) throw new Error(`datasource uid ${uid} is provisioned twice`);
      datasources.set(uid, entry);
    }
  }

  it('escapes every literal $ as $$, since Grafana expands environment variables in these files', () => {
    assert.ok(files.length >= 2);
    for (const file of files) {
      const unescaped = readText(file)
        .split('\n')
        .map((line, index) => ({ line: index + 1, rest: line.replaceAll('$$', '') }))
        .filter(({ rest }) => rest.includes('$'));
      assert.deepEqual(unescaped, [], `${file} has an unescaped $`);
    }
  });

  it('links traces to logs, metrics and the service map, logs to traces, and exemplars to traces', () => {
    const tempo = record(datasources.get('tempo'), 'tempo datasource');
    const loki = record(datasources.get('loki'), 'loki datasource');
    const prometheus = record(datasources.get('prometheus'), 'prometheus datasource');

    const toLogs = record(at(tempo, 'jsonData.tracesToLogsV2'), 'tracesToLogsV2');
    assert.equal(toLogs.datasourceUid, 'loki');
    assert.equal(toLogs.customQuery, true);
    assert.equal(toLogs.query, '{$${__tags}} | trace_id = "$${__trace.traceId}"', 'a label filter on the trace_id structured metadata');
    assert.deepEqual(toLogs.tags, [{ key: 'service.name', value: 'service_name' }]);

    const toMetrics = record(at(tempo, 'jsonData.tracesToMetrics'), 'tracesToMetrics');
    assert.equal(toMetrics.datasourceUid, 'prometheus');
    assert.deepEqual(toMetrics.tags, [{ key: 'service.name', value: 'service_name' }]);
    for (const query of list(toMetrics.queries, 'queries')) assert.match(text(record(query, 'q').query, 'query'), /app_errors_total\{\$\$__tags/);
    assert.equal(at(tempo, 'jsonData.serviceMap.datasourceUid'), 'prometheus');

    const derived = list(at(loki, 'jsonData.derivedFields'), 'derivedFields').map((field) => record(field, 'field'));
    assert.deepEqual(
      derived.map(({ matcherType, matcherRegex, datasourceUid }) => ({ matcherType, matcherRegex, datasourceUid })),
      [{ matcherType: 'label', matcherRegex: 'trace_id', datasourceUid: 'tempo' }],
    );

    const exemplars = list(at(prometheus, 'jsonData.exemplarTraceIdDestinations'), 'exemplars').map((entry) => record(entry, 'exemplar'));
    assert.deepEqual(
      exemplars.map(({ name, datasourceUid }) => ({ name, datasourceUid })),
      [{ name: 'trace_id', datasourceUid: 'tempo' }],
    );
  });

  it('every datasource UID a link points at exists', () => {
    const pointers: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (isRecord(node)) {
        for (const [key, value] of Object.entries(node)) {
          if (key === 'datasourceUid') pointers.push(text(value, key));
          else walk(value);
        }
      }
    };
    for (const entry of datasources.values()) walk(entry.jsonData);
    assert.ok(pointers.length >= 5);
    for (const uid of pointers) assert.ok(datasources.has(uid), `a link points at datasource ${uid}, which is not provisioned`);
  });

  it('mounts the provisioning folder where Grafana reads it', () => {
    assert.ok(strings(service('grafana').volumes, 'grafana.volumes').includes('./grafana/provisioning:/etc/grafana/provisioning:ro'));
  });
});
