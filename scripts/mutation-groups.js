// The module groups that mutation testing covers, each with the tests that guard it and the score
// below which `npm run test:mutation` fails. Stryker's command runner re-runs the whole command for
// every mutant (it cannot tell which test covers which line), so each group runs only the fast tests
// that exercise its modules, the most specific file first: the `&&` chain stops at the first failing
// file, so a killed mutant costs one file, a surviving one the whole chain.

/**
 * `node --test` over some files, in one process (`--test-isolation=none`: no start-up per file),
 * stopping at the first failing test (scripts/test-bail-reporter.js). `isolation: 'process'` gives
 * each file its own process and runs every test, for files that start real processes.
 */
function nodeTest(files, { isolation = 'none' } = {}) {
  const flags = isolation === 'none' ? ' --test-isolation=none --test-reporter=./scripts/test-bail-reporter.js' : '';
  return `node --test${flags} ${files.join(' ')}`;
}

const chain = (...commands) => commands.join(' && ');

export const GROUPS = [
  {
    name: 'error-model',
    description: 'Error classes: defineError, AppError and the categories',
    mutate: ['src/errors/define-error.ts', 'src/errors/app-error.ts', 'src/errors/category.ts'],
    command: nodeTest(['test/errors/define-error-warnings.test.ts', 'test/errors/app-error.test.ts', 'test/errors/catalog.test.ts', 'test/errors/classify.test.ts', 'test/errors/record-error.test.ts']),
    break: 80,
  },
  {
    name: 'error-catalog',
    description: "faultline's own error classes and the errors of a task group",
    mutate: ['src/errors/catalog.ts', 'src/errors/error-tree.ts', 'src/errors/task-group-error.ts'],
    command: chain(
      nodeTest(['test/errors/catalog.test.ts', 'test/errors/app-error.test.ts', 'test/errors/record-error.test.ts']),
      // Registers its own global meter provider: it needs a process of its own.
      nodeTest(['test/errors/composite-errors.test.ts']),
    ),
    // Measured at 70.1 % (docs/testing.md): the floor until its survivors are dealt with.
    break: 70,
  },
  {
    name: 'classification',
    description: 'classify(): category, retryability and error.type of anything thrown',
    mutate: ['src/errors/classify.ts'],
    command: nodeTest(['test/errors/classify.test.ts', 'test/errors/app-error.test.ts', 'test/errors/serialize.test.ts']),
    break: 80,
  },
  {
    name: 'recording',
    description: 'recordError, notes and the serialized error',
    mutate: ['src/errors/record-error.ts', 'src/errors/notes.ts', 'src/errors/serialize.ts'],
    command: chain(
      nodeTest(['test/errors/record-error.test.ts', 'test/errors/notes.test.ts', 'test/errors/serialize.test.ts', 'test/errors/app-error.test.ts']),
      nodeTest(['test/errors/composite-errors.test.ts']),
    ),
    break: 80,
  },
  {
    name: 'http-status',
    description: 'The HTTP status mapping and the problem+json body',
    mutate: ['src/http/status.ts', 'src/http/problem.ts'],
    command: nodeTest(['test/http/status-mapping.test.ts', 'test/http/problem.test.ts']),
    break: 80,
  },
  {
    name: 'redaction',
    description: 'Secret redaction in messages, attributes and stacks',
    mutate: ['src/errors/redact.ts'],
    command: nodeTest(['test/errors/redact.test.ts', 'test/errors/serialize.test.ts']),
    break: 80,
  },
  {
    name: 'deadlines',
    description: 'The shutdown deadline and its split (exports, spool, teardown)',
    mutate: ['src/deadline.ts', 'src/export/shutdown-deadline.ts'],
    command: nodeTest(['test/export/shutdown-deadline.test.ts']),
    break: 80,
  },
  {
    name: 'lifecycle',
    description: 'Process handlers: crash, signal and drained-loop endings (real child processes)',
    mutate: ['src/lifecycle.ts'],
    // The child processes load faultline/register, which is the built package: rebuild the mutated
    // sandbox first. About a minute per mutant on two cores.
    command: chain('npx tsc -p tsconfig.build.json', nodeTest(['test/preload/lifecycle.test.ts'], { isolation: 'process' })),
    break: 80,
    slow: true,
  },
  {
    name: 'export-queue',
    description: 'The export path: the bounded batch queue, drop accounting, line sizes, the lazy exporter',
    mutate: ['src/export/batch-queue.ts', 'src/export/batches.ts', 'src/export/drops.ts', 'src/export/line-bytes.ts', 'src/export/lazy-exporter.ts'],
    command: nodeTest([
      'test/export/batch-queue.test.ts',
      'test/export/span-queue.test.ts',
      'test/export/line-bytes.test.ts',
      'test/export/lazy-exporter.test.ts',
    ]),
    break: 80,
  },
  {
    name: 'otlp-encoding',
    description: 'The export path: OTLP protobuf encoding of spans and log records',
    mutate: ['src/export/protobuf-writer.ts', 'src/export/otlp-common-encoding.ts', 'src/export/otlp-trace-encoder.ts', 'src/export/otlp-log-encoder.ts'],
    command: nodeTest(['test/export/trace-encoding.test.ts', 'test/export/log-encoding.test.ts', 'test/export/span-queue.test.ts']),
    break: 80,
  },
];
