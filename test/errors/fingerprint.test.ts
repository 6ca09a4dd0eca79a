import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { fingerprint, groupingFrames, normaliseLocation } from '../../src/errors/fingerprint.ts';
import { capStack, splitStack } from '../../src/errors/stack.ts';

const run = promisify(execFile);
const classifyUrl = new URL('../../src/errors/classify.ts', import.meta.url).href;

/** An app whose error goes through three functions of its own and one of a dependency. */
function appSource(options: { padding?: number; handlerName?: string } = {}): string {
  return `${'\n'.repeat(options.padding ?? 0)}
const { classify } = await import(process.env.CLASSIFY_URL);
const { parseBody } = await import('./node_modules/body-lib/index.js');
function validateOrder(input) {
  return parseBody(input);
}
function ${options.handlerName ?? 'handleCheckout'}(input) {
  return validateOrder(input);
}
try {
  ${options.handlerName ?? 'handleCheckout'}('{not json');
} catch (err) {
  process.stdout.write(classify(err).fingerprint);
}
`;
}

const LIBRARY = `${'// vendored\n'.repeat(3)}export function parseBody(text) {\n  return JSON.parse(text);\n}\n`;

function installApp(dir: string, source: string, libraryPadding = 0): void {
  mkdirSync(join(dir, 'node_modules', 'body-lib'), { recursive: true });
  writeFileSync(join(dir, 'app.mjs'), source);
  writeFileSync(join(dir, 'node_modules', 'body-lib', 'index.js'), `${'\n'.repeat(libraryPadding)}${LIBRARY}`);
  writeFileSync(join(dir, 'node_modules', 'body-lib', 'package.json'), '{"type":"module"}');
}

async function fingerprintIn(dir: string): Promise<string> {
  const { stdout } = await run(process.execPath, ['app.mjs'], { cwd: dir, env: { ...process.env, CLASSIFY_URL: classifyUrl } });
  assert.match(stdout, /^[0-9a-f]{16}$/);
  return stdout;
}

describe('fingerprint across processes and installs', () => {
  let base = '';
  before(() => {
    base = mkdtempSync(join(tmpdir(), 'faultline-fingerprint-'));
  });
  after(() => {
    rmSync(base, { recursive: true, force: true });
  });

  it('is the same for the same bug in copies of the app at different paths, with shifted lines', async () => {
    const first = join(base, 'release-1', 'app');
    const second = join(base, 'elsewhere', 'deeper', 'release-2', 'service');
    installApp(first, appSource());
    installApp(second, appSource({ padding: 7 }), 5);
    const [a, b] = await Promise.all([fingerprintIn(first), fingerprintIn(second)]);
    assert.equal(a, b);
  });

  it('changes when the in-app frames change', async () => {
    const original = join(base, 'original');
    const renamed = join(base, 'renamed');
    installApp(original, appSource());
    installApp(renamed, appSource({ handlerName: 'handleRefund' }));
    const [a, b] = await Promise.all([fingerprintIn(original), fingerprintIn(renamed)]);
    assert.notEqual(a, b);
  });
});

describe('fingerprint normalisation', () => {
  const root = process.cwd();
  const stackAt = (line: number, prefix = root) =>
    [
      'Error: order 17 not found',
      `    at findOrder (${prefix}/src/orders/repo.ts:${String(line)}:11)`,
      `    at async loadOrder (file://${prefix}/src/orders/service.ts:${String(line + 40)}:5)`,
      `    at Router.handle (${prefix}/node_modules/express/lib/router/index.js:284:7)`,
      '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
      `    at handler (${prefix}/src/http/routes.ts?v=3:${String(line * 2)}:9)`,
    ].join('\n');

  it('ignores line and column numbers, node_modules and node: frames, file:// and query strings', () => {
    assert.deepEqual(groupingFrames(stackAt(10)), ['findOrder@src/orders/repo.ts', 'loadOrder@src/orders/service.ts', 'handler@src/http/routes.ts']);
    assert.equal(fingerprint('NOT_FOUND', stackAt(10)), fingerprint('NOT_FOUND', stackAt(250)));
  });

  it('depends on the type and on the frames', () => {
    assert.notEqual(fingerprint('NOT_FOUND', stackAt(10)), fingerprint('CONFLICT', stackAt(10)));
    assert.notEqual(fingerprint('NOT_FOUND', stackAt(10)), fingerprint('NOT_FOUND', stackAt(10).replace('findOrder', 'findInvoice')));
  });

  it('is 16 hex characters', () => {
    assert.match(fingerprint('X', stackAt(1)), /^[0-9a-f]{16}$/);
    assert.match(fingerprint('X'), /^[0-9a-f]{16}$/);
  });

  it('falls back to dependency frames when no frame is in-app', () => {
    const stack = `Error: x\n    at parse (${root}/node_modules/.pnpm/lib@1.0.0/node_modules/lib/parse.js:3:3)\n    at node:internal/main:1:1`;
    assert.deepEqual(groupingFrames(stack), ['parse@lib/parse.js']);
  });

  it('groups stackless values by the shape of their message', () => {
    assert.equal(fingerprint('_OTHER', undefined, 'order 17 failed'), fingerprint('_OTHER', undefined, 'order 18 failed'));
    assert.notEqual(fingerprint('_OTHER', undefined, 'order 17 failed'), fingerprint('_OTHER', undefined, 'payment 17 failed'));
  });

  it('normalises locations from any platform', () => {
    assert.equal(normaliseLocation('file:///srv/app/src/a.ts?hash=1#x', '/srv/app'), 'src/a.ts');
    assert.equal(normaliseLocation('C:\\apps\\shop\\src\\a.ts', 'C:/apps/shop'), 'src/a.ts');
    assert.equal(normaliseLocation('file:///C:/apps/shop/src/a.ts', 'C:/apps/shop'), 'src/a.ts');
    assert.equal(normaliseLocation('/opt/other/lib/util.js', '/srv/app'), 'lib/util.js');
    assert.equal(normaliseLocation('https://cdn.example.com/assets/app.js?v=9', '/srv/app'), 'assets/app.js');
    assert.equal(normaliseLocation('/srv/app/src/my%20file.ts', '/srv/app'), 'src/my file.ts');
  });

  it('reads frames inside eval', () => {
    const stack = `Error: x\n    at eval (eval at compile (${root}/src/template.ts:12:3), <anonymous>:1:1)`;
    assert.deepEqual(groupingFrames(stack), ['eval@src/template.ts']);
  });
});

describe('capStack', () => {
  it('keeps at most the given number of frames and says how many were left out', () => {
    const stack = `Error: x\n${Array.from({ length: 50 }, (_, index) => `    at f${String(index)} (/app/a.js:${String(index)}:1)`).join('\n')}`;
    const capped = capStack(stack, 5).split('\n');
    assert.equal(capped.length, 7);
    assert.equal(capped[0], 'Error: x');
    assert.equal(capped[6], '    ... 45 more frames');
  });

  it('caps the header and each frame line', () => {
    const capped = capStack(`Error: ${'m'.repeat(10_000)}\n    at ${'f'.repeat(10_000)} (/a.js:1:1)`, 5);
    assert.ok(capped.length < 2000);
  });

  it('stacks that share their frames keep their own header (frame blocks are parsed once and shared)', () => {
    const frames = Array.from({ length: 12 }, (_, index) => `    at f${String(index)} (/app/src/a.js:${String(index)}:1)`).join('\n');
    const first = splitStack(`Error: order 1 failed\n${frames}`);
    first.frames.length = 0;
    const second = splitStack(`Error: order 2 failed\nsecond line\n${frames}`);
    assert.deepEqual(second.header, ['Error: order 2 failed', 'second line']);
    assert.equal(second.frames.length, 12);
    assert.equal(capStack(`TypeError: x\n${frames}`, 2), `TypeError: x\n${frames.split('\n').slice(0, 2).join('\n')}\n    ... 10 more frames`);
    assert.equal(capStack(`TypeError: y\n${frames}`, 2, (text) => text.toUpperCase()).split('\n')[0], 'TYPEERROR: Y');
    assert.equal(fingerprint('T', `Error: a\n${frames}`), fingerprint('T', `Error: b\n${frames}`));
    assert.notEqual(fingerprint('T', `Error: a\n${frames}`), fingerprint('U', `Error: a\n${frames}`));
  });

});

describe('fingerprint in the spawned apps', () => {
  it('is, in another process, the one computed here for the same frames (the apps run the real classify)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-fingerprint-'));
    try {
      installApp(dir, appSource());
      const spawned = await fingerprintIn(dir);
      // What the app's error looks like, written here with this process's root: only the frames'
      // functions and app-relative files may count, so the key must come out the same.
      const root = process.cwd();
      const stack = [
        `SyntaxError: Expected property name or '}' in JSON at position 1`,
        '    at JSON.parse (<anonymous>)',
        `    at parseBody (${root}/node_modules/body-lib/index.js:5:15)`,
        `    at validateOrder (${root}/app.mjs:5:10)`,
        `    at handleCheckout (${root}/app.mjs:8:10)`,
        `    at file://${root}/app.mjs:11:3`,
      ].join('\n');
      assert.equal(spawned, fingerprint('SyntaxError', stack));
      assert.notEqual(spawned, fingerprint('SyntaxError', stack.replace('handleCheckout', 'handleRefund')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
