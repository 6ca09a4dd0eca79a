import { ValidationError } from '../errors/catalog.ts';
import { addNote } from '../errors/notes.ts';
import { cut, readProperty } from '../errors/safe-read.ts';
import { normalizeIssues, type ValidationIssue } from './issues.ts';
import { payloadShape } from './payload-shape.ts';
import type { InferOutput, StandardSchemaV1 } from './standard-schema.ts';

const MAX_SUMMARY_LENGTH = 400;

function validatorOf(schema: unknown): (value: unknown) => unknown {
  const props = readProperty(schema, '~standard');
  const validate = readProperty(props, 'validate');
  if (typeof validate !== 'function') {
    // eslint-disable-next-line faultline/only-coded-errors -- TRY004: a schema parse() cannot use is the caller's bug; an AppError would be answered as the client's validation failure
    throw new TypeError('parse: the schema does not implement Standard Schema (no ~standard.validate); zod 3.24+, valibot 1 and arktype 2 do');
  }
  return (value) => (validate as (this: unknown, value: unknown) => unknown).call(props, value);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof readProperty(value, 'then') === 'function';
}

/** `Validation failed (2 issues): /email: Invalid email address; /quantity: Too small…`, capped. */
function summary(issues: ValidationIssue[], total: number): string {
  const listed = issues.map((issue) => (issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`)).join('; ');
  return cut(`Validation failed (${total} ${total === 1 ? 'issue' : 'issues'}): ${listed}`, MAX_SUMMARY_LENGTH);
}

function failure(rawIssues: unknown, payload: unknown): InstanceType<typeof ValidationError> {
  const { issues, total } = normalizeIssues(rawIssues, payload);
  const error = new ValidationError(summary(issues, total), { details: { issues, issueCount: total } });
  addNote(error, `payload shape: ${payloadShape(payload)}`);
  return error;
}

function settle(result: unknown, payload: unknown): unknown {
  const issues = readProperty(result, 'issues');
  if (issues !== undefined && issues !== null) throw failure(issues, payload);
  return readProperty(result, 'value');
}

/**
 * Validates `payload` at a boundary (request body, queue message, config file) against any
 * Standard Schema (zod, valibot, arktype, …) and returns the schema's output.
 *
 * On failure it throws a `ValidationError` (code `VALIDATION_FAILED`, HTTP 400) whose
 * `details.issues` lists at most 20 `{ path, code, message }` (path as a JSON Pointer, offending
 * values masked) and which carries a note with the payload's shape, never its values. The HTTP
 * error handlers answer it with 400 and the issues in the problem body's `errors`.
 *
 * Synchronous: a schema that validates asynchronously (async refinements) makes it throw a
 * TypeError that points to `parseAsync`.
 */
export function parse<Schema extends StandardSchemaV1>(schema: Schema, payload: unknown): InferOutput<Schema> {
  const result = validatorOf(schema)(payload);
  if (isThenable(result)) {
    // Nobody will await it: keep its possible rejection from surfacing as unhandled.
    Promise.resolve(result).catch(() => undefined); // eslint-disable-line faultline/no-blind-catch -- nobody awaits this promise: only its unhandled rejection is silenced
    // eslint-disable-next-line faultline/only-coded-errors -- TRY004: a schema parse() cannot use is the caller's bug; an AppError would be answered as the client's validation failure
    throw new TypeError('parse: this schema validates asynchronously (async refinements or transforms); use parseAsync');
  }
  return settle(result, payload);
}

/** `parse` for schemas with asynchronous refinements; works with synchronous schemas too. */
export async function parseAsync<Schema extends StandardSchemaV1>(schema: Schema, payload: unknown): Promise<InferOutput<Schema>> {
  const result = await validatorOf(schema)(payload);
  return settle(result, payload);
}
