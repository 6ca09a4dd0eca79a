import rule from '../../src/rules/no-unbounded-metric-attributes.ts';
import { asEslintRule, javascriptTester, typed, typedTester, untypedTester } from '../helpers/rule-tester.ts';

const noUnboundedMetricAttributes = asEslintRule(rule);
const DECLARE = [
  "import { metrics } from '@opentelemetry/api';",
  "import type { IncomingMessage } from 'node:http';",
  "import { classify, recordError } from 'faultline';",
  "const meter = metrics.getMeter('checkout');",
  "const charges = meter.createCounter('checkout.charges');",
  "const latency = meter.createHistogram('checkout.latency');",
  'declare const req: IncomingMessage;',
  'declare const err: Error;',
  "declare const outcome: 'paid' | 'declined';",
  'declare const order: { id: string; status: string; customerEmail: string };',
  '',
].join('\n');
const LINE = DECLARE.split('\n').length;
const ADVICE = 'Keep metric attributes to small fixed sets: route templates, methods, status classes, `classify(err).type`.';

typedTester.run('no-unbounded-metric-attributes (typed)', noUnboundedMetricAttributes, {
  valid: typed([
    `${DECLARE}charges.add(1, { outcome });`,
    `${DECLARE}charges.add(1, { 'error.type': classify(err).type, 'error.category': classify(err).category });`,
    `${DECLARE}latency.record(0.2, { 'http.request.method': req.method, route: '/orders/:id' });`,
    `${DECLARE}charges.add(1, { status: order.status });`,
    // A literal-typed value is bounded whatever its name.
    `${DECLARE}declare const regionId: 'eu' | 'us';\ncharges.add(1, { regionId });`,
    // A template of bounded parts.
    `${DECLARE}charges.add(1, { key: \`\${outcome}-card\` });`,
    // Not an instrument: a Set's add and a custom record.
    `${DECLARE}const seen = new Set<unknown>();\nseen.add({ id: order.id });`,
    `${DECLARE}const audit = { record(value: number, fields: object) { return [value, fields]; } };\naudit.record(1, { orderId: order.id });`,
    // recordError without per-error attributes.
    `${DECLARE}recordError(err, { handled: true, attributes: { 'checkout.step': 'charge' } });`,
    // An observable callback with bounded attributes.
    `${DECLARE}meter.createObservableGauge('queue.depth').addCallback((result) => { result.observe(3, { queue: 'charges' }); });`,
  ]),
  invalid: typed([
    { code: `${DECLARE}charges.add(1, { orderId: order.id });`, errors: [{ messageId: 'fromId', data: { attribute: 'orderId', advice: ADVICE }, line: LINE }] },
    { code: `${DECLARE}charges.add(1, { 'error.message': err.message });`, errors: [{ messageId: 'fromMessage', data: { attribute: 'error.message', advice: ADVICE } }] },
    { code: `${DECLARE}charges.add(1, { reason: String(err.message).toLowerCase() });`, errors: [{ messageId: 'fromMessage' }] },
    { code: `${DECLARE}latency.record(0.2, { path: req.url });`, errors: [{ messageId: 'fromRequest', data: { attribute: 'path', advice: ADVICE } }] },
    { code: `${DECLARE}latency.record(0.2, { agent: req.headers['user-agent'] });`, errors: [{ messageId: 'fromRequest' }] },
    { code: `${DECLARE}charges.add(1, { key: \`\${order.status}:\${order.id}\` });`, errors: [{ messageId: 'fromTemplate' }] },
    { code: `${DECLARE}charges.add(1, { key: 'order-' + order.status });`, errors: [{ messageId: 'fromTemplate' }] },
    { code: `${DECLARE}charges.add(1, { at: Date.now() });`, errors: [{ messageId: 'fromUnique' }] },
    { code: `${DECLARE}charges.add(1, { email: order.customerEmail });`, errors: [{ messageId: 'fromId' }] },
    // Through constants, and spread request data.
    { code: `${DECLARE}const url = req.url;\nconst attributes = { url };\ncharges.add(1, attributes);`, errors: [{ messageId: 'fromRequest', line: LINE + 1 }] },
    { code: `${DECLARE}declare const query: Record<string, string>;\nconst request = req as IncomingMessage & { query: Record<string, string> };\ncharges.add(1, { ...request.query });`, errors: [{ messageId: 'fromRequest', data: { attribute: '...', advice: ADVICE } }] },
    // Several at once.
    { code: `${DECLARE}charges.add(1, { orderId: order.id, outcome, message: err.message });`, errors: [{ messageId: 'fromId' }, { messageId: 'fromMessage' }] },
    // Observable results.
    { code: `${DECLARE}meter.createObservableGauge('queue.depth').addCallback((result) => { result.observe(3, { orderId: order.id }); });`, errors: [{ messageId: 'fromId' }] },
    // recordError's attributes: per-error values belong in the error.
    { code: `${DECLARE}recordError(err, { attributes: { 'order.id': order.id } });`, errors: [{ messageId: 'perErrorAttribute', data: { attribute: 'order.id', recorder: 'recordError', source: 'an ID' } }] },
    { code: `${DECLARE}recordError(err, { attributes: { detail: \`failed at \${req.url}\` } });`, errors: [{ messageId: 'perErrorAttribute' }] },
  ]),
});

untypedTester.run('no-unbounded-metric-attributes (no types)', noUnboundedMetricAttributes, {
  valid: [
    `errorCounter.add(1, { 'error.type': info.type });`,
    `cache.add(key, { id: user.id });`,
    `requestDuration.record(elapsed, { route: req.route.path, method: req.method });`,
  ],
  invalid: [
    { code: `errorCounter.add(1, { userId: user.id });`, errors: [{ messageId: 'fromId' }] },
    { code: `requestHistogram.record(elapsed, { path: req.path });`, errors: [{ messageId: 'fromRequest' }] },
    { code: `batchResult.observe(gauge, 1, { orderId });`, errors: [{ messageId: 'fromId' }] },
  ],
});

javascriptTester.run('no-unbounded-metric-attributes (JavaScript)', noUnboundedMetricAttributes, {
  valid: [`counter.add(1, { outcome: 'paid' });`],
  invalid: [{ code: 'counter.add(1, { key: `${a}-${b}` });', errors: [{ messageId: 'fromTemplate' }] }],
});
