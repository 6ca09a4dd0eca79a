import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitErrors } from '../../src/concurrency/split-errors.ts';
import { taskGroup } from '../../src/concurrency/task-group.ts';
import { DatabaseConflict, DatabaseUnavailable } from '../../src/errors/catalog.ts';
import { TaskGroupError } from '../../src/errors/task-group-error.ts';
import { addNote, notesOf } from '../../src/errors/notes.ts';

const conflict = new DatabaseConflict('duplicate order');
const outage = new DatabaseUnavailable('primary down');
const typeError = new TypeError('bad input');

describe('splitErrors (except*)', () => {
  it('splits a flat AggregateError by class into two groups of the same shape', () => {
    const group = new AggregateError([conflict, typeError, outage], 'batch failed', { cause: 'upstream' });
    addNote(group, 'batch 7');
    const [match, rest] = splitErrors(group, DatabaseConflict);
    assert.ok(match instanceof AggregateError && rest instanceof AggregateError);
    assert.deepEqual(match.errors, [conflict]);
    assert.deepEqual(rest.errors, [typeError, outage]);
    for (const part of [match, rest]) {
      assert.equal(part.message, 'batch failed');
      assert.equal(part.cause, 'upstream');
      assert.equal(part.stack, group.stack, 'the stack says where the group was raised');
      assert.deepEqual(notesOf(part), ['batch 7']);
    }
  });

  it('matches by error code and by predicate', () => {
    const group = new AggregateError([conflict, outage]);
    const [byCode, restByCode] = splitErrors(group, 'DATABASE_UNAVAILABLE');
    assert.deepEqual((byCode as AggregateError).errors, [outage]);
    assert.deepEqual((restByCode as AggregateError).errors, [conflict]);
    const [retryable, permanent] = splitErrors(group, (error) => (error as { retryable?: boolean }).retryable === true);
    assert.deepEqual((retryable as AggregateError).errors, [outage]);
    assert.deepEqual((permanent as AggregateError).errors, [conflict]);
  });

  it('keeps nesting, and drops branches that end up empty', () => {
    const inner = new AggregateError([typeError, conflict], 'inner');
    const outer = new AggregateError([outage, inner], 'outer');
    const [match, rest] = splitErrors(outer, TypeError);
    assert.ok(match instanceof AggregateError);
    assert.equal(match.message, 'outer');
    assert.equal(match.errors.length, 1);
    const matchedInner = match.errors[0] as AggregateError;
    assert.equal(matchedInner.message, 'inner');
    assert.deepEqual(matchedInner.errors, [typeError]);
    const restOuter = rest as AggregateError;
    assert.equal(restOuter.errors[0], outage);
    assert.deepEqual((restOuter.errors[1] as AggregateError).errors, [conflict]);
  });

  it('returns the original when one side takes everything, and undefined for the empty side', () => {
    const group = new AggregateError([conflict, conflict]);
    assert.deepEqual(splitErrors(group, DatabaseConflict), [group, undefined]);
    assert.deepEqual(splitErrors(group, TypeError), [undefined, group]);
    assert.deepEqual(splitErrors(group, AggregateError), [group, undefined], 'a group that matches as a whole');
    assert.deepEqual(splitErrors(typeError, TypeError), [typeError, undefined], 'a plain error goes whole');
    assert.deepEqual(splitErrors(typeError, RangeError), [undefined, typeError]);
    assert.deepEqual(splitErrors('a string', () => false), [undefined, 'a string']);
  });

  it('a TaskGroupError splits into TaskGroupErrors whose category follows their failures', async () => {
    const error = await taskGroup(
      (group) => {
        void group.spawn(() => Promise.reject(conflict));
        void group.spawn(() => Promise.reject(outage));
      },
      { name: 'orders' },
    ).catch((err: unknown) => err);
    assert.ok(error instanceof TaskGroupError);
    assert.equal(error.category, 'internal', 'conflict and dependency do not agree');
    const [conflicts, rest] = splitErrors(error, DatabaseConflict);
    assert.ok(conflicts instanceof TaskGroupError && rest instanceof TaskGroupError);
    assert.deepEqual(conflicts.errors, [conflict]);
    assert.equal(conflicts.category, 'conflict');
    assert.equal(rest.category, 'dependency');
    assert.equal(rest.retryable, true);
    assert.equal(rest.details?.group, 'orders');
    assert.equal(rest.message, error.message);
  });

  it('keeps a custom group\'s name and fields; a cycle ends the walk', () => {
    class BatchError extends AggregateError {
      code = 'BATCH_FAILED';
    }
    Object.defineProperty(BatchError.prototype, 'name', { value: 'BatchError' });
    const batch = new BatchError([conflict, typeError], 'batch');
    const [match] = splitErrors(batch, TypeError);
    assert.equal((match as Error).name, 'BatchError');
    assert.equal((match as { code?: string }).code, 'BATCH_FAILED');

    const cyclic = new AggregateError([typeError]);
    (cyclic.errors as unknown[]).push(cyclic);
    const [cyclicMatch, cyclicRest] = splitErrors(cyclic, TypeError);
    assert.deepEqual((cyclicMatch as AggregateError).errors, [typeError]);
    assert.deepEqual((cyclicRest as AggregateError).errors, [cyclic]);
  });

  it('rejects a match that is neither a class, a code nor a predicate', () => {
    assert.throws(() => splitErrors(typeError, 42 as unknown as string), TypeError);
  });
});
