import assert from 'node:assert/strict';
import { test } from 'node:test';
import { knownVariableNames } from '../../src/config.ts';
import { editDistance, nearestName, variableChecks } from '../../src/doctor/variables.ts';
import { apiCanRead, satisfiesCaret } from '../../src/doctor/package-copies.ts';

test('edit distance counts a swapped pair of letters as one typo', () => {
  assert.equal(editDistance('ENDPOINT', 'ENDPOINT'), 0);
  assert.equal(editDistance('ENDPIONT', 'ENDPOINT'), 1);
  assert.equal(editDistance('TRACE', 'TRACES'), 1);
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('', 'abc'), 3);
});

test('"did you mean" picks the one known name within reach, and none when nothing is near or two are equally near', () => {
  const known = knownVariableNames();
  assert.equal(nearestName('OTEL_EXPORTER_OTLP_ENDPIONT', known), 'OTEL_EXPORTER_OTLP_ENDPOINT');
  assert.equal(nearestName('OTEL_EXPORTER_OTLP_TRACE_ENDPOINT', known), 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  assert.equal(nearestName('OTEL_SERVCE_NAME', known), 'OTEL_SERVICE_NAME');
  assert.equal(nearestName('OTEL_SOMETHING_ELSE', known), undefined);
  assert.equal(nearestName('AB', ['AC', 'AD']), undefined);
});

test('every known name passes; the list comes from the configuration code', () => {
  const known = knownVariableNames();
  assert.ok(known.includes('FAULTLINE_DOCTOR') && known.includes('OTEL_LOG_LEVEL') && known.includes('OTEL_EXPORTER_OTLP_LOGS_COMPRESSION'));
  const env = Object.fromEntries(known.map((name) => [name, 'x']));
  assert.deepEqual(
    variableChecks({ ...env, PATH: '/bin', NODE_ENV: 'production' }).map((check) => check.status),
    ['pass'],
  );
});

test("the API's compatibility rule: an older copy reads a newer registration, a newer one does not", () => {
  assert.equal(apiCanRead('1.9.0', '1.10.0'), true);
  assert.equal(apiCanRead('1.10.0', '1.9.1'), false);
  assert.equal(apiCanRead('1.10.1', '1.10.0'), true);
  assert.equal(apiCanRead('2.0.0', '1.10.0'), false);
  assert.equal(apiCanRead('0.18.1', '0.18.2'), true);
  assert.equal(apiCanRead('0.19.0', '0.18.2'), false);
  assert.equal(apiCanRead('1.10.0-rc.1', '1.10.0'), false);
});

test('caret ranges as faultline states its peer dependency', () => {
  assert.equal(satisfiesCaret('1.10.0', '^1.10.0'), true);
  assert.equal(satisfiesCaret('1.11.2', '^1.10.0'), true);
  assert.equal(satisfiesCaret('1.9.1', '^1.10.0'), false);
  assert.equal(satisfiesCaret('2.0.0', '^1.10.0'), false);
  assert.equal(satisfiesCaret('1.10.0', '^1.10.1'), false);
});
