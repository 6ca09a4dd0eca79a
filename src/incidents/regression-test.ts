import type { ErrorGroup } from './error-occurrences.ts';
import { BREAKER_CATEGORIES, importPath, type ErrorShape, type ShapeNode } from './error-shape.ts';

// The regression test `faultline incident new` writes: it rebuilds the error of the incident (type,
// code, cause chain, notes) and asserts how the app must treat it: its classification, its
// problem+json status, whether it is retryable and whether it counts toward a circuit breaker.
// The code it writes is plain JavaScript that is also strict TypeScript, so the same text serves a
// `.ts` and a `.js` test file; it imports faultline by its package name, as the app's tests do.

export interface RegressionTestInput {
  id: string;
  group: ErrorGroup;
  shape: ErrorShape;
  /** Absolute path of the test file (imports are relative to it). */
  testFile: string;
  /** The capture's name as the user gave it, for the header. */
  capture: string;
  /** The postmortem, relative to the repository root. */
  incidentFile: string;
}

const q = (text: string): string => JSON.stringify(text);

function constructorCall(shape: ShapeNode, cause: string | undefined): string {
  const { node, rebuild } = shape;
  const options = cause === undefined ? '' : `, { cause: ${cause} }`;
  switch (rebuild.kind) {
    case 'primitive':
      return q(node.message);
    case 'class':
      return `new ${rebuild.errorClass.name}(${q(node.message)}${options})`;
    case 'defined':
      return `new ${definedName(rebuild.code)}(${q(node.message)}${options})`;
    case 'dom':
      return cause === undefined
        ? `new DOMException(${q(node.message)}, ${q(rebuild.name)})`
        : `Object.defineProperty(new DOMException(${q(node.message)}, ${q(rebuild.name)}), 'cause', { value: ${cause} })`;
    case 'plain': {
      const made = `new ${rebuild.constructor}(${q(node.message)}${options})`;
      const extra = [rebuild.name === undefined ? undefined : `name: ${q(rebuild.name)}`, rebuild.code === undefined ? undefined : `code: ${q(rebuild.code)}`].filter(Boolean);
      return extra.length === 0 ? made : `Object.assign(${made}, { ${extra.join(', ')} })`;
    }
  }
}

/** `GATEWAY_TIMEOUT` → `GatewayTimeout`, for a class the test has to define itself. */
function definedName(code: string): string {
  return code
    .toLowerCase()
    .split('_')
    .filter((word) => word !== '')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

function describeNode(shape: ShapeNode): string {
  const { node } = shape;
  return `${node.type}${node.code !== undefined && node.code !== node.type ? ` (code ${node.code})` : ''}`;
}

/** One assertion per level of the serialized cause chain, and one that it ends there. */
function chainAssertions(types: readonly string[]): string {
  const lines = types.map((type, depth) => `  assert.equal(serialized${'.cause?'.repeat(depth)}.type, ${q(type)});`);
  lines.push(`  assert.equal(serialized${'.cause?'.repeat(types.length - 1)}.cause, undefined);`);
  return lines.join('\n');
}

export function regressionTest(input: RegressionTestInput): string {
  const { id, group, shape, testFile, capture, incidentFile } = input;
  const { expected } = shape;
  const faultline = new Set(['classify', 'problemFor', 'serializeError']);
  const fromFiles = new Map<string, Set<string>>();
  const definitions: string[] = [];
  for (const { rebuild } of shape.chain) {
    if (rebuild.kind === 'class') {
      if (rebuild.errorClass.from === 'faultline') faultline.add(rebuild.errorClass.name);
      else {
        const specifier = importPath(testFile, rebuild.errorClass.from);
        const names = fromFiles.get(specifier) ?? new Set<string>();
        names.add(rebuild.errorClass.name);
        fromFiles.set(specifier, names);
      }
    } else if (rebuild.kind === 'defined') {
      faultline.add('defineError');
      const spec = [`code: ${q(rebuild.code)}`, `category: ${q(rebuild.category)}`];
      if (rebuild.httpStatus !== undefined) spec.push(`httpStatus: ${rebuild.httpStatus}`);
      if (rebuild.retryable) spec.push('retryable: true');
      const definition = `const ${definedName(rebuild.code)} = defineError({ ${spec.join(', ')} });`;
      if (!definitions.includes(definition)) {
        definitions.push(
          `// ${rebuild.code} is not defined with defineError in this repository's source: this copy stands in for the`,
          `// app's class. Import the real class instead, so that the test follows changes to it.`,
          definition,
        );
      }
    }
  }
  if (expected.notes.length > 0) faultline.add('addNote');

  const build: string[] = [];
  let previous: string | undefined;
  const reversed = [...shape.chain].reverse();
  reversed.forEach((node, position) => {
    const name = position === reversed.length - 1 ? 'error' : `cause${reversed.length - 1 - position}`;
    build.push(`  // ${position === reversed.length - 1 ? 'the error recorded' : `its cause, ${reversed.length - 1 - position} level${reversed.length - 1 - position === 1 ? '' : 's'} down`}: ${describeNode(node)}`);
    build.push(`  const ${name} = ${constructorCall(node, previous)};`);
    previous = name;
  });
  for (const note of expected.notes) build.push(`  addNote(error, ${q(note)});`);
  build.push('  return error;');

  const imports = [
    "import assert from 'node:assert/strict';",
    "import { test } from 'node:test';",
    `import { ${[...faultline].sort().join(', ')} } from 'faultline';`,
    ...[...fromFiles].map(([specifier, names]) => `import { ${[...names].sort().join(', ')} } from ${q(specifier)};`),
  ];
  const title = `${id}: ${expected.type}`;
  const fingerprint = group.fingerprint === undefined ? `type ${group.type}` : `fingerprint ${group.fingerprint}`;
  return `${imports.join('\n')}

// ${id}: regression test generated by \`faultline incident new\` from ${capture} (${fingerprint},
// ${group.count} occurrence${group.count === 1 ? '' : 's'}). Postmortem: ${incidentFile}.
//
// It rebuilds the error as production recorded it (type, code, cause chain, notes) and pins how
// the app treats it today: classification, problem+json status, retries, circuit breaker. If the
// incident happened because that treatment is wrong, change the expectation first, watch the test
// fail, then fix the taxonomy until it passes.
${definitions.length === 0 ? '' : `\n${definitions.join('\n')}\n`}
/** Circuit breakers count only these categories of classify(). */
const BREAKER_CATEGORIES = ${JSON.stringify(BREAKER_CATEGORIES)};

/** The error of ${id}, rebuilt from its exception events. */
function incidentError() {
${build.join('\n')}
}

test(${q(`${title} is classified as ${expected.category}, ${expected.retryable ? 'retryable' : 'not retryable'}`)}, () => {
  const info = classify(incidentError());
  assert.equal(info.type, ${q(expected.type)});
  assert.equal(info.category, ${q(expected.category)});
  assert.equal(info.retryable, ${expected.retryable});
  // ${expected.countsTowardBreaker ? 'A breaker around the failing call opens on a run of these.' : 'A breaker around the failing call does not count it: it is not the dependency failing.'}
  assert.equal(BREAKER_CATEGORIES.includes(info.category), ${expected.countsTowardBreaker});
});

test(${q(`${title} answers ${expected.status} problem+json`)}, () => {
  const problem = problemFor(incidentError());
  assert.equal(problem.status, ${expected.status});
  assert.equal(problem.headers['content-type'], 'application/problem+json');
  assert.equal(problem.body.code, ${q(expected.problemCode)});
});

test(${q(`${title} keeps its cause chain and notes in telemetry`)}, () => {
  const serialized = serializeError(incidentError());
${chainAssertions(expected.chainTypes)}
  assert.deepEqual(serialized.notes ?? [], ${JSON.stringify(expected.notes)});
});

// The reproduction goes here: drive the code path that failed (${group.first.route} in
// ${group.first.service}) into this error, e.g. with the dependency slowed down or refused, and assert
// what the caller gets back. Until then this test is listed as a to-do.
test(${q(`${id}: reproduction`)}, { todo: 'reproduce the failure through the code path that failed' }, () => {});
`;
}
