import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanEnv, runCli } from '../doctor/doctor-helpers.ts';
import { repoRoot, runApp } from '../helpers/run-app.ts';
import { appRepository, capturedErrors, incident, node, read, tempoExport, tree, type CapturedError } from './incident-helpers.ts';

// `faultline incident` end to end, through the command as a user runs it: a real capture of the
// checkout example (the demo with --save, against the real PostgreSQL), an app repository with the
// checkout's error classes, the generated test run with `node --test` and compiled with tsc.

const LOCAL_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';
const TSC = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');

describe('faultline incident', () => {
  let app: ReturnType<typeof appRepository>;
  let capture: string;
  let errors: CapturedError[];

  before(async () => {
    app = appRepository();
    capture = path.join(app.dir, 'capture.jsonl');
    const demo = runApp('examples/checkout/demo.js', {
      preload: false,
      args: ['--duration', '4', '--rate', '4', '--save', capture],
      env: { DATABASE_URL: LOCAL_POSTGRES, NO_COLOR: '1' },
    });
    const { code, stderr } = await demo.exited;
    assert.equal(code, 0, stderr);
    errors = await capturedErrors(capture);
  }, { timeout: 90_000 });

  after(() => {
    app.remove();
  });

  const the = (type: string): CapturedError[] => {
    const found = errors.filter((error) => error.type === type && error.service === 'checkout');
    assert.ok(found.length > 0, `the demo's capture has no ${type} in checkout`);
    return found;
  };

  test('faultline --help lists the command; incident --help its subcommands and options', async () => {
    const help = await runCli(['--help'], { cwd: app.dir, env: cleanEnv() });
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^ {2}incident {3}start a postmortem and a regression test from captured telemetry/m);
    const incidentHelp = await incident(app.dir, '--help');
    assert.equal(incidentHelp.code, 0);
    for (const text of ['faultline incident new <telemetry file> <fingerprint | trace ID>', 'faultline incident check', '--grafana-url', '--datasources', '--test <file>']) assert.ok(incidentHelp.stdout.includes(text), text);
  });

  test('errors lists the capture by fingerprint', async () => {
    const { code, stdout } = await incident(app.dir, 'errors', 'capture.jsonl');
    assert.equal(code, 0);
    const timeout = the('OPERATION_TIMEOUT')[0]!;
    const row = stdout.split('\n').find((line) => line.startsWith(timeout.fingerprint ?? '?'));
    assert.ok(row, stdout);
    assert.match(row, /OPERATION_TIMEOUT\s+timeout\s+\d+/);
    assert.equal(Number(/timeout\s+(\d+)/.exec(row)?.[1]), errors.filter((error) => error.fingerprint === timeout.fingerprint).length);
  });

  test('new writes INC-1 from a gateway timeout, and its regression test passes and compiles', { timeout: 60_000 }, async () => {
    // The gateway past its deadline is the timeout policy's OperationTimeout, a catalog class.
    const timeouts = the('OPERATION_TIMEOUT');
    const fingerprint = timeouts[0]!.fingerprint!;
    const sameGroup = errors.filter((error) => error.fingerprint === fingerprint);
    const { code, stdout, stderr } = await incident(app.dir, 'new', 'capture.jsonl', fingerprint);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^INC-1: OPERATION_TIMEOUT/);

    const postmortem = read(app.dir, 'incidents/INC-1.md');
    assert.match(postmortem, /^# INC-1: OPERATION_TIMEOUT in checkout/);
    assert.match(postmortem, /\| Error type \| `OPERATION_TIMEOUT` \|/);
    assert.match(postmortem, /\| Code \| `OPERATION_TIMEOUT` \|/);
    assert.match(postmortem, /\| Category \| timeout \|/);
    assert.match(postmortem, new RegExp(`\\| HTTP status \\| 504 \\(problem\\+json \`OPERATION_TIMEOUT\`\\); answered: 504 \\(${sameGroup.length}\\) \\|`));
    assert.match(postmortem, /\| Retryable \| yes \|/);
    assert.match(postmortem, /\| Counts toward a circuit breaker \| yes/);
    assert.match(postmortem, new RegExp(`\\| Fingerprint \\| \`${fingerprint}\` \\|`));
    assert.match(postmortem, new RegExp(`\\| Occurrences \\| ${sameGroup.length}, first seen \\d{4}-.*, last seen \\d{4}-`));
    assert.match(postmortem, new RegExp(`\\| Services \\| checkout \\(${sameGroup.length}\\) \\|`));
    assert.match(postmortem, new RegExp(`\\| Routes \\| POST /orders/:id/charges \\(${sameGroup.length}\\) \\|`));
    for (const error of sameGroup.slice(0, 5)) assert.ok(postmortem.includes(error.traceId), `example trace ${error.traceId}`);
    for (const note of sameGroup.at(-1)!.notes) assert.ok(postmortem.includes(note), `note ${note}`);
    // The policy's own error, thrown from its timer: the message names the policy and its deadline,
    // and the capture records no cause under it, which the postmortem says.
    assert.match(postmortem, /^Message \(latest\): payment-timeout: the operation timed out after \d+ ms$/m);
    assert.match(postmortem, /^OperationTimeoutError: payment-timeout: the operation timed out after \d+ ms$/m);
    assert.deepEqual(sameGroup.flatMap((error) => error.causes), []);
    assert.match(postmortem, /### Cause chain\n\nNo cause recorded\./);
    // Explore links through the app's own provisioned datasources.
    const links = [...postmortem.matchAll(/\[(trace|logs)\]\(([^)]+)\)/g)].map((match) => ({ kind: match[1], url: new URL(match[2]!) }));
    const tempo = links.find((link) => link.kind === 'trace')!;
    const loki = links.find((link) => link.kind === 'logs')!;
    assert.equal(tempo.url.origin + tempo.url.pathname, 'http://localhost:3000/explore');
    const tempoPane = Object.values(JSON.parse(tempo.url.searchParams.get('panes')!) as Record<string, { datasource: string; queries: { query: string; datasource: { type: string } }[] }>)[0]!;
    assert.equal(tempoPane.datasource, 'shop-tempo');
    assert.equal(tempoPane.queries[0]!.datasource.type, 'tempo');
    assert.ok(sameGroup.some((error) => error.traceId === tempoPane.queries[0]!.query));
    const lokiPane = Object.values(JSON.parse(loki.url.searchParams.get('panes')!) as Record<string, { datasource: string; queries: { expr: string }[] }>)[0]!;
    assert.equal(lokiPane.datasource, 'shop-loki');
    assert.match(lokiPane.queries[0]!.expr, /^\{service_name="checkout"\} \| trace_id="[0-9a-f]{32}"$/);
    assert.match(postmortem, /datasources \*\*Shop traces\*\* \(uid `shop-tempo`\) and \*\*Shop logs\*\* \(uid `shop-loki`\)/);
    assert.match(postmortem, /^## Guards[\s\S]*^- regression test: test\/incidents\/INC-1\.test\.ts$/m);

    const generated = read(app.dir, 'test/incidents/INC-1.test.ts');
    assert.match(generated, /import \{ [^}]*OperationTimeout[^}]* \} from 'faultline';/);
    assert.doesNotMatch(generated, /src\/errors\.ts/);
    assert.match(generated, /The reproduction goes here/);
    const run = await node(app.dir, ['--test', 'test/incidents/INC-1.test.ts']);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /# pass 3\b|ℹ pass 3\b/);
    assert.match(run.stdout, /# fail 0\b|ℹ fail 0\b/);
    assert.match(run.stdout, /# todo 1\b|ℹ todo 1\b/);
    const tsc = await node(app.dir, [TSC, '-p', 'tsconfig.json']);
    assert.equal(tsc.code, 0, tsc.stdout + tsc.stderr);
  });

  test('the generated test fails when the taxonomy changes under it; an incident opened after the change says so', { timeout: 60_000 }, async () => {
    // An app-defined class, read from the repository's src/errors.ts: GatewayFailed (dependency, 502),
    // the gateway's own 500 (no cause; a cut gateway gives another GATEWAY_FAILED group, with a cause).
    const answered = the('GATEWAY_FAILED').find((error) => error.causes.length === 0);
    assert.ok(answered, 'the demo\'s capture has a GATEWAY_FAILED without a cause (the gateway answering 500)');
    const fingerprint = answered.fingerprint!;
    const errorsFile = path.join(app.dir, 'src', 'errors.ts');
    const original = readFileSync(errorsFile, 'utf8');
    try {
      const first = await incident(app.dir, 'new', 'capture.jsonl', fingerprint, '--id', 'INC-15', '--dir', 'scratch-incidents', '--test', 'scratch-tests/INC-15.test.ts');
      assert.equal(first.code, 0, first.stderr);
      assert.match(read(app.dir, 'scratch-tests/INC-15.test.ts'), /import \{ GatewayFailed \} from "\.\.\/src\/errors\.ts";/);
      const before = await node(app.dir, ['--test', 'scratch-tests/INC-15.test.ts']);
      assert.equal(before.code, 0, before.stdout + before.stderr);

      // Someone makes the gateway failure an internal error: no longer 502, not a dependency.
      writeFileSync(errorsFile, original.replace("code: 'GATEWAY_FAILED',\n  category: 'dependency',\n  httpStatus: 502,", "code: 'GATEWAY_FAILED',\n  category: 'internal',\n  httpStatus: 500,"));
      assert.notEqual(readFileSync(errorsFile, 'utf8'), original);
      const run = await node(app.dir, ['--test', 'scratch-tests/INC-15.test.ts']);
      assert.equal(run.code, 1);
      // Three expectations change, in two tests: the category (and with it the breaker's, which the
      // same test checks after it) and the problem+json status; retryable is the class's own and stays.
      assert.match(run.stdout, /# fail 2\b|ℹ fail 2\b/);
      assert.match(run.stdout, /actual: 'internal',\n\s+expected: 'dependency'/);
      assert.match(run.stdout, /actual: 500,\n\s+expected: 502/);

      // An incident opened after the change pins the new treatment and says what production did (a
      // failure the fallback answered once the breaker opened shows as a 202 beside the 502s).
      const opened = await incident(app.dir, 'new', 'capture.jsonl', fingerprint, '--id', 'INC-13', '--dir', 'scratch-incidents', '--test', 'scratch-tests/INC-13.test.ts');
      assert.equal(opened.code, 0, opened.stderr);
      const postmortem = read(app.dir, 'scratch-incidents/INC-13.md');
      assert.match(postmortem, /\| Category \| internal \|/);
      assert.match(postmortem, /\*\*Changed since:\*\* production recorded category `dependency`; the current taxonomy says `internal`.*; the service answered (\d{3}, )*502(, \d{3})*; problemFor\(\) answers 500 today\./);
      const pinned = await node(app.dir, ['--test', 'scratch-tests/INC-13.test.ts']);
      assert.equal(pinned.code, 0, pinned.stdout + pinned.stderr);
    } finally {
      writeFileSync(errorsFile, original);
      rmSync(path.join(app.dir, 'scratch-incidents'), { recursive: true, force: true });
      rmSync(path.join(app.dir, 'scratch-tests'), { recursive: true, force: true });
    }
  });

  test('new by trace ID takes the error the caller saw; the next free ID; a catalog class and a platform cause', { timeout: 60_000 }, async () => {
    const outage = the('DATABASE_UNAVAILABLE').find((error) => error.causes.length > 0)!;
    const { code, stdout, stderr } = await incident(app.dir, 'new', 'capture.jsonl', outage.traceId.toUpperCase());
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^INC-2: DATABASE_UNAVAILABLE/);
    const postmortem = read(app.dir, 'incidents/INC-2.md');
    assert.match(postmortem, /\| Category \| dependency \|/);
    assert.match(postmortem, /\| HTTP status \| 503 /);
    assert.ok(postmortem.includes(outage.traceId));
    // The chain shown is the group's latest occurrence's: one of the causes the outage gave.
    const causes = new Set(errors.filter((error) => error.fingerprint === outage.fingerprint).map((error) => error.causes[0]));
    const shown = /^1\. `([^`]+)`/m.exec(postmortem)?.[1];
    assert.ok(shown !== undefined && causes.has(shown), `cause ${shown} of ${[...causes].join(', ')}`);
    const generated = read(app.dir, 'test/incidents/INC-2.test.ts');
    assert.match(generated, /import \{ [^}]*DatabaseUnavailable[^}]* \} from 'faultline';/);
    const run = await node(app.dir, ['--test', 'test/incidents/INC-2.test.ts']);
    assert.equal(run.code, 0, run.stdout + run.stderr);
  });

  test('by trace ID, the error the caller saw wins over the downstream error that caused it', { timeout: 30_000 }, async () => {
    const failed = the('GATEWAY_FAILED')[0]!;
    // The gateway records an error of its own on its server span, earlier than the checkout's.
    let added = false;
    const lines = readFileSync(capture, 'utf8').split('\n').map((line) => {
      if (added || !line.startsWith('{"signal":"traces"')) return line;
      const request = JSON.parse(line) as { resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: { traceId: string; kind: number; startTimeUnixNano: string; events?: unknown[] }[] }[] }[] };
      for (const resource of request.resourceSpans) {
        if (!resource.resource.attributes.some((attribute) => attribute.key === 'service.name' && attribute.value.stringValue === 'payment-gateway')) continue;
        for (const scope of resource.scopeSpans) {
          for (const span of scope.spans) {
            if (span.traceId !== failed.traceId || span.kind !== 2) continue;
            span.events = [...(span.events ?? []), {
              name: 'exception',
              timeUnixNano: span.startTimeUnixNano,
              attributes: [
                { key: 'exception.type', value: { stringValue: 'LEDGER_LOCKED' } },
                { key: 'exception.message', value: { stringValue: 'the ledger is locked' } },
                { key: 'exception.code', value: { stringValue: 'LEDGER_LOCKED' } },
                { key: 'error.category', value: { stringValue: 'internal' } },
                { key: 'exception.index', value: { intValue: '0' } },
                { key: 'exception.fingerprint', value: { stringValue: '1111111111111111' } },
              ],
            }];
            added = true;
          }
        }
      }
      return JSON.stringify(request);
    });
    assert.ok(added, 'the capture holds the gateway side of the failed trace');
    writeFileSync(path.join(app.dir, 'downstream.jsonl'), lines.join('\n'));
    try {
      const listed = await incident(app.dir, 'errors', 'downstream.jsonl');
      assert.match(listed.stdout, /^1111111111111111 {2}LEDGER_LOCKED/m);
      const run = await incident(app.dir, 'new', 'downstream.jsonl', failed.traceId, '--id', 'INC-14', '--dir', 'scratch-incidents', '--test', 'scratch-tests/INC-14.test.ts');
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /^INC-14: GATEWAY_FAILED/);
    } finally {
      rmSync(path.join(app.dir, 'downstream.jsonl'));
      rmSync(path.join(app.dir, 'scratch-incidents'), { recursive: true, force: true });
      rmSync(path.join(app.dir, 'scratch-tests'), { recursive: true, force: true });
    }
  });

  test('new reads a trace exported from Tempo (batches, base64 ids, pretty-printed) and OTLP/JSON lines without signal', { timeout: 30_000 }, async () => {
    const declined = the('CARD_DECLINED')[0]!;
    writeFileSync(path.join(app.dir, 'trace.json'), await tempoExport(capture, declined.traceId));
    const tempo = await incident(app.dir, 'new', 'trace.json', declined.traceId, '--id', 'INC-10', '--dir', 'scratch-incidents', '--test', 'scratch-tests/INC-10.test.ts');
    assert.equal(tempo.code, 0, tempo.stderr);
    assert.match(read(app.dir, 'scratch-incidents/INC-10.md'), /\| Category \| validation \|[\s\S]*\| HTTP status \| 402 /);
    const run = await node(app.dir, ['--test', 'scratch-tests/INC-10.test.ts']);
    assert.equal(run.code, 0, run.stdout + run.stderr);

    // The spool and the Collector's file exporter write the same lines without the signal member.
    const lines = readFileSync(capture, 'utf8').split('\n').filter((line) => line !== '').map((line) => {
      const { signal: _signal, ...request } = JSON.parse(line) as Record<string, unknown>;
      return JSON.stringify(request);
    });
    writeFileSync(path.join(app.dir, 'traces-1234.jsonl'), `${lines.join('\n')}\n`);
    const [fromCapture, fromLines] = await Promise.all([incident(app.dir, 'errors', 'capture.jsonl'), incident(app.dir, 'errors', 'traces-1234.jsonl')]);
    assert.equal(fromLines.code, 0, fromLines.stderr);
    assert.equal(fromLines.stdout, fromCapture.stdout);
    rmSync(path.join(app.dir, 'scratch-incidents'), { recursive: true });
    rmSync(path.join(app.dir, 'scratch-tests'), { recursive: true });
  });

  test('an app class that is not in the source is defined by the test itself, which still passes', { timeout: 30_000 }, async () => {
    const errorsFile = path.join(app.dir, 'src', 'errors.ts');
    const original = readFileSync(errorsFile, 'utf8');
    rmSync(errorsFile);
    try {
      const failed = the('GATEWAY_FAILED')[0]!;
      const run = await incident(app.dir, 'new', 'capture.jsonl', failed.traceId, '--id', 'INC-11', '--dir', 'scratch-incidents', '--test', 'scratch-tests/INC-11.test.js');
      assert.equal(run.code, 0, run.stderr);
      const generated = read(app.dir, 'scratch-tests/INC-11.test.js');
      assert.match(generated, /Import the real class instead/);
      assert.match(generated, /const GatewayFailed = defineError\(\{ code: "GATEWAY_FAILED", category: "dependency", httpStatus: 502, retryable: true \}\);/);
      const test = await node(app.dir, ['--test', 'scratch-tests/INC-11.test.js']);
      assert.equal(test.code, 0, test.stdout + test.stderr);
    } finally {
      writeFileSync(errorsFile, original);
      rmSync(path.join(app.dir, 'scratch-incidents'), { recursive: true, force: true });
      rmSync(path.join(app.dir, 'scratch-tests'), { recursive: true, force: true });
    }
  });

  test('what another exporter left unredacted is redacted in both files', { timeout: 30_000 }, async () => {
    const card = '4242 4242 4242 4242';
    // Every CARD_DECLINED message starts so (the decline reason follows in parentheses).
    const text = readFileSync(capture, 'utf8').replaceAll('The card was declined', `The card ${card} was declined`);
    assert.ok(text.includes(card));
    writeFileSync(path.join(app.dir, 'leaky.jsonl'), text);
    try {
      const run = await incident(app.dir, 'new', 'leaky.jsonl', the('CARD_DECLINED')[0]!.fingerprint!, '--id', 'INC-12', '--dir', 'scratch-incidents', '--test', 'scratch-tests/INC-12.test.ts');
      assert.equal(run.code, 0, run.stderr);
      for (const file of ['scratch-incidents/INC-12.md', 'scratch-tests/INC-12.test.ts']) {
        const written = read(app.dir, file);
        assert.ok(!written.includes(card), `${file} carries the card number`);
        assert.match(written, /The card \[REDACTED:card\] was declined/);
      }
      const test = await node(app.dir, ['--test', 'scratch-tests/INC-12.test.ts']);
      assert.equal(test.code, 0, test.stdout + test.stderr);
    } finally {
      rmSync(path.join(app.dir, 'leaky.jsonl'));
      rmSync(path.join(app.dir, 'scratch-incidents'), { recursive: true, force: true });
      rmSync(path.join(app.dir, 'scratch-tests'), { recursive: true, force: true });
    }
  });

  test('check fails on an incident without a guard and passes once the guard exists', { timeout: 60_000 }, async () => {
    let run = await incident(app.dir, 'check');
    assert.equal(run.code, 0, run.stdout);
    assert.match(run.stdout, /✓ INC-1: regression test test\/incidents\/INC-1\.test\.ts/);

    // An incident written by hand that names no guard.
    writeFileSync(path.join(app.dir, 'incidents', 'INC-3.md'), '# INC-3: retry storm against the gateway\n\n## Guards\n\n<!-- - alert rule: GatewayTimeoutStorm -->\n');
    run = await incident(app.dir, 'check');
    assert.equal(run.code, 1);
    assert.match(run.stdout, /missing \(1\):\n {2}- INC-3: names no guard/);

    // It names an alert rule that is not written yet, and a lint rule whose tests do not carry INC-3.
    writeFileSync(
      path.join(app.dir, 'incidents', 'INC-3.md'),
      '# INC-3: retry storm against the gateway\n\n## Guards\n\n- alert rule: GatewayTimeoutStorm in deploy/rules/gateway.rules.yml\n- lint rule: faultline/no-swallowed-cancellation\n',
    );
    mkdirSync(path.join(app.dir, 'lint', 'rules'), { recursive: true });
    writeFileSync(path.join(app.dir, 'lint', 'rules', 'no-swallowed-cancellation.test.ts'), "// cases\nexport const cases = [{ name: 'INC-30: another incident' }];\n");
    run = await incident(app.dir, 'check');
    assert.equal(run.code, 1);
    assert.match(run.stdout, /INC-3: alert rule GatewayTimeoutStorm: the rules file deploy\/rules\/gateway\.rules\.yml does not exist/);
    assert.match(run.stdout, /INC-3: lint rule faultline\/no-swallowed-cancellation: no test case carries INC-3 \(in lint\/rules\/no-swallowed-cancellation\.test\.ts\)/);
    assert.match(run.stdout, /missing \(2\)/);

    // The guards are written.
    mkdirSync(path.join(app.dir, 'deploy', 'rules'), { recursive: true });
    writeFileSync(path.join(app.dir, 'deploy', 'rules', 'gateway.rules.yml'), 'groups:\n  - name: gateway\n    rules:\n      - alert: GatewayTimeoutStorm\n        expr: sum(rate(app_errors_total{error_type="OPERATION_TIMEOUT"}[5m])) > 1\n');
    appendFileSync(path.join(app.dir, 'lint', 'rules', 'no-swallowed-cancellation.test.ts'), "cases.push({ name: 'INC-3: the retry loop swallowed the abort' });\n");
    run = await incident(app.dir, 'check');
    assert.equal(run.code, 0, run.stdout);
    assert.match(run.stdout, /✓ INC-3: alert rule GatewayTimeoutStorm \(deploy\/rules\/gateway\.rules\.yml\)/);
    assert.match(run.stdout, /✓ INC-3: lint rule faultline\/no-swallowed-cancellation \(lint\/rules\/no-swallowed-cancellation\.test\.ts\)/);

    // A regression test that goes away is missing again.
    const testFile = path.join(app.dir, 'test', 'incidents', 'INC-2.test.ts');
    const text = readFileSync(testFile, 'utf8');
    rmSync(testFile);
    run = await incident(app.dir, 'check');
    assert.equal(run.code, 1);
    assert.match(run.stdout, /INC-2: regression test test\/incidents\/INC-2\.test\.ts does not exist/);
    writeFileSync(testFile, text);
  });

  describe('bad input: one line on stderr, exit code 2, nothing written', () => {
    const refuses = async (args: string[], message: RegExp) => {
      const before = tree(app.dir);
      const run = await incident(app.dir, ...args);
      assert.equal(run.code, 2, run.stdout + run.stderr);
      assert.equal(run.stdout, '');
      assert.equal(run.stderr.split('\n').length, 2, run.stderr);
      assert.match(run.stderr, message);
      assert.deepEqual(tree(app.dir), before);
    };
    const timeout = () => the('OPERATION_TIMEOUT')[0]!.fingerprint!;

    test('a truncated capture', async () => {
      const cut = path.join(app.dir, 'cut.jsonl');
      writeFileSync(cut, readFileSync(capture));
      truncateSync(cut, statSync(cut).size - 40);
      await refuses(['new', 'cut.jsonl', timeout(), '--id', 'INC-20'], /^faultline incident: cut\.jsonl:\d+: the last line is cut short \(a truncated file\?\)/);
      writeFileSync(cut, (await tempoExport(capture, the('CARD_DECLINED')[0]!.traceId)).slice(0, 300));
      await refuses(['new', 'cut.jsonl', timeout(), '--id', 'INC-20'], /^faultline incident: cut\.jsonl: the JSON document ends early/);
      rmSync(cut);
    });

    test('a malformed capture', async () => {
      const bad = path.join(app.dir, 'bad.jsonl');
      const lines = readFileSync(capture, 'utf8').split('\n');
      lines.splice(3, 0, '{"signal":"traces","resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"not hex"}]}]}]}');
      writeFileSync(bad, lines.join('\n'));
      await refuses(['new', 'bad.jsonl', timeout(), '--id', 'INC-20'], /^faultline incident: bad\.jsonl:4: .*traceId must be a hex string/);
      writeFileSync(bad, 'this is not telemetry\n');
      await refuses(['new', 'bad.jsonl', timeout(), '--id', 'INC-20'], /^faultline incident: bad\.jsonl: neither OTLP\/JSON lines nor one JSON document/);
      writeFileSync(bad, '');
      await refuses(['new', 'bad.jsonl', timeout(), '--id', 'INC-20'], /holds no telemetry/);
      rmSync(bad);
      await refuses(['new', 'missing.jsonl', timeout()], /^faultline incident: missing\.jsonl does not exist/);
    });

    test('an unknown fingerprint or trace ID, and bad arguments', async () => {
      await refuses(['new', 'capture.jsonl', '0123456789abcdef'], /^faultline incident: no error with fingerprint 0123456789abcdef in capture\.jsonl \(errors in it: [0-9a-f]{16} [A-Z_]+ ×\d+/);
      await refuses(['new', 'capture.jsonl', 'ffffffffffffffffffffffffffffffff'], /^faultline incident: no recorded error in trace f{32} in capture\.jsonl/);
      await refuses(['new', 'capture.jsonl', 'OPERATION_TIMEOUT'], /neither a fingerprint \(16 hex digits\) nor a trace ID/);
      await refuses(['new', 'capture.jsonl'], /incident new takes a telemetry file and a fingerprint or trace ID/);
      await refuses(['new', 'capture.jsonl', timeout(), '--grafana-url', 'grafana:3000'], /--grafana-url takes an http\(s\) URL/);
      await refuses(['new', 'capture.jsonl', timeout(), '--color'], /Unknown option '--color'/);
    });

    test('an existing incident ID', async () => {
      await refuses(['new', 'capture.jsonl', timeout(), '--id', 'INC-1'], /^faultline incident: incident INC-1 already exists \(incidents\/INC-1\.md\)/);
      await refuses(['new', 'capture.jsonl', timeout(), '--id', 'INC-9', '--test', 'test/incidents/INC-1.test.ts'], /the regression test test\/incidents\/INC-1\.test\.ts already exists/);
      await refuses(['new', 'capture.jsonl', timeout(), '--id', 'inc7'], /--id takes an incident ID such as INC-7/);
    });

    test('an unwritable folder, for the postmortem or for the test (neither file is left)', async () => {
      writeFileSync(path.join(app.dir, 'a-file'), 'not a folder\n');
      await refuses(['new', 'capture.jsonl', timeout(), '--dir', 'a-file/incidents'], /^faultline incident: cannot read the incidents folder .*a-file\/incidents: ENOTDIR/);
      await refuses(['new', 'capture.jsonl', timeout(), '--dir', 'a-file/incidents', '--id', 'INC-21'], /^faultline incident: cannot write into .*a-file\/incidents: ENOTDIR, a file is in the way of the folder/);
      // The postmortem's folder is fine, the test's is not: the postmortem must not stay behind.
      await refuses(['new', 'capture.jsonl', timeout(), '--id', 'INC-21', '--test', 'a-file/INC-21.test.ts'], /^faultline incident: cannot write into .*a-file: EEXIST, a file is in the way of the folder/);
      assert.equal(existsSync(path.join(app.dir, 'incidents', 'INC-21.md')), false);
      // A folder made for the postmortem is removed again.
      await refuses(['new', 'capture.jsonl', timeout(), '--dir', 'new-folder/incidents', '--test', 'a-file/INC-22.test.ts'], /cannot write into .*a-file: EEXIST/);
      assert.equal(existsSync(path.join(app.dir, 'new-folder')), false);
      rmSync(path.join(app.dir, 'a-file'));
    });
  });
});
