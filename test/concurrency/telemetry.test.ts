import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startReceiver, type OtlpReceiver, type ReceivedSpan, type ReceivedSpanEvent } from '../../src/receiver/index.ts';
import { otlpEnv, runApp } from '../helpers/run-app.ts';

// The task groups of test/fixtures/concurrency/task-groups-app.mjs, run under
// `--import faultline/register`, as received over OTLP.

function exceptionEvents(span: ReceivedSpan): ReceivedSpanEvent[] {
  return span.events.filter((event) => event.name === 'exception');
}

function types(span: ReceivedSpan): unknown[] {
  return exceptionEvents(span).map((event) => event.attributes['exception.type']);
}

describe('task groups in a preloaded app, as received over OTLP', () => {
  let receiver: OtlpReceiver;
  let output: { outcomes: Record<string, { error?: string; failures?: number; value?: unknown }>; unhandled: number };
  before(async () => {
    receiver = await startReceiver();
    const app = runApp('test/fixtures/concurrency/task-groups-app.mjs', { env: otlpEnv(receiver.url) });
    const exit = await app.exited;
    assert.equal(exit.code, 0, exit.stderr);
    assert.equal(exit.stderr, '', 'nothing on stderr');
    output = JSON.parse(exit.stdout.trim().split('\n').at(-1) ?? '{}') as typeof output;
  });
  after(async () => {
    await receiver.close();
  });

  const groupSpan = (name: string): ReceivedSpan => {
    const spans = receiver.spans.filter((span) => span.name === `taskGroup ${name}`);
    assert.equal(spans.length, 1, `one span for group ${name}`);
    return spans[0]!;
  };
  const tasksOf = (group: ReceivedSpan): ReceivedSpan[] => receiver.spans.filter((span) => span.parentSpanId === group.spanId && span.name.startsWith('task '));

  test('the app saw the outcomes and no unhandled rejection', () => {
    assert.equal(output.unhandled, 0);
    assert.deepEqual(output.outcomes.checkout, { error: 'TaskGroupError', message: 'task group checkout failed with 1 failure', failures: 1 });
    assert.equal(output.outcomes.fanout?.failures, 3);
    assert.equal(output.outcomes.cancelled?.error, 'Error', 'the outside reason itself, not a TaskGroupError');
    assert.deepEqual(output.outcomes.ok, { value: 42 });
  });

  test('one failing task among slow siblings: a group span, three task spans, the failure once on its task and in the group', () => {
    const group = groupSpan('checkout');
    const tasks = tasksOf(group);
    assert.deepEqual(tasks.map((span) => span.name).sort(), ['task inventory', 'task payment', 'task shipping']);
    for (const task of tasks) assert.equal(task.traceId, group.traceId);
    const payment = tasks.find((span) => span.name === 'task payment')!;
    assert.deepEqual(types(payment), ['PAYMENT_DECLINED'], 'the failure, once, on the task that saw it');
    assert.equal(payment.status.code, 2);
    assert.equal(payment.attributes['task_group.name'], 'checkout');
    for (const sibling of tasks.filter((span) => span !== payment)) {
      assert.deepEqual(exceptionEvents(sibling), [], `${sibling.name} was cancelled, not failed`);
      assert.equal(sibling.attributes['task_group.task.cancelled'], true);
      assert.notEqual(sibling.status.code, 2);
    }
    assert.deepEqual(types(group), ['TASK_GROUP_FAILED', 'PAYMENT_DECLINED'], 'the TaskGroupError with its failure');
    const [outer, child] = exceptionEvents(group) as [ReceivedSpanEvent, ReceivedSpanEvent];
    assert.equal(outer.attributes['exception.message'], 'task group checkout failed with 1 failure');
    assert.equal(child.attributes['exception.relation'], 'aggregate');
    assert.equal(child.attributes['exception.parent'], 0);
    assert.equal(group.status.code, 2);
    assert.equal(group.attributes['error.type'], 'TASK_GROUP_FAILED');
    assert.equal(group.attributes['task_group.tasks'], 3);
    assert.equal(group.attributes['task_group.failures'], 1);
    assert.equal(group.attributes['task_group.cancelled_tasks'], 2);
    // Ended after every task: the group waited for its siblings.
    for (const task of tasks) assert.ok(BigInt(group.endTimeUnixNano) >= BigInt(task.endTimeUnixNano), `${task.name} ended before the group`);
  });

  test('simultaneous failures and the body\'s own: every one is an exception event of the group span', () => {
    const group = groupSpan('fanout');
    assert.deepEqual(types(group), ['TASK_GROUP_FAILED', 'RangeError', 'INVENTORY_DOWN', 'TypeError']);
    const tasks = tasksOf(group);
    assert.equal(tasks.length, 2);
    assert.deepEqual(tasks.map((span) => types(span)).flat().sort(), ['INVENTORY_DOWN', 'RangeError']);
  });

  test('nested groups: the inner failure is counted once, and every span on its path says what failed it', () => {
    const outer = groupSpan('outer');
    const inner = groupSpan('inner');
    const innerTask = tasksOf(outer).find((span) => span.name === 'task inner-group')!;
    assert.equal(inner.parentSpanId, innerTask.spanId, 'the inner group runs inside the outer task');
    assert.deepEqual(types(inner), ['TASK_GROUP_FAILED', 'INVENTORY_DOWN']);
    assert.deepEqual(types(innerTask), ['TASK_GROUP_FAILED', 'INVENTORY_DOWN'], 'the outer task failed with the inner group\'s error');
    assert.equal(innerTask.status.code, 2);
    assert.deepEqual(types(outer), ['TASK_GROUP_FAILED', 'TASK_GROUP_FAILED', 'INVENTORY_DOWN']);
    const sibling = tasksOf(outer).find((span) => span.name === 'task sibling')!;
    assert.equal(sibling.attributes['task_group.task.cancelled'], true);
  });

  test('an outside cancellation is no failure: no error status, no exception events, no counts', () => {
    const group = groupSpan('cancelled');
    assert.deepEqual(exceptionEvents(group), []);
    assert.notEqual(group.status.code, 2);
    assert.equal(group.attributes['task_group.cancelled'], true);
    const tasks = tasksOf(group);
    assert.equal(tasks.length, 2);
    for (const task of tasks) {
      assert.deepEqual(exceptionEvents(task), []);
      assert.equal(task.attributes['task_group.task.cancelled'], true);
    }
  });

  test('app.errors counts each failure exactly once, the groups never, although the app recorded every TaskGroupError again', () => {
    const expected: [string, string, number][] = [
      ['PAYMENT_DECLINED', 'validation', 1],
      ['RangeError', 'internal', 1],
      ['TypeError', 'internal', 1],
      ['INVENTORY_DOWN', 'dependency', 2],
    ];
    for (const [type, category, count] of expected) {
      assert.equal(receiver.latestSum('app.errors', { 'error.type': type, 'error.category': category, 'error.handled': true }), count, type);
    }
    assert.equal(receiver.latestSum('app.errors', { 'error.type': 'TASK_GROUP_FAILED' }), 0);
    assert.equal(receiver.latestSum('app.errors'), 5);
  });
});
