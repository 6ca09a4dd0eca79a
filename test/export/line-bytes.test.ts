import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeLines, LineBytes } from '../../src/export/line-bytes.ts';

// Lines cross to the log worker as UTF-8 bytes; what arrives, and the characters both sides count
// for the buffer bound, must match line for line.

describe('log lines as bytes', () => {
  it('arrive as written, newline or not, in any script, long or empty', () => {
    const written = ['{"msg":"plain"}\n', '{"msg":"no newline"}', '{"msg":"Grüße, 東京, 🚀"}\n', `{"msg":"${'x'.repeat(100_000)}"}\n`, '', '\n'];
    const batch = new LineBytes();
    let counted = 0;
    for (const line of written) counted += batch.add(line);
    assert.equal(batch.count, written.length);
    assert.equal(batch.chars, counted);
    const bytes = batch.take();
    assert.equal(batch.count, 0);
    assert.equal(batch.chars, 0);
    const lines = decodeLines(bytes);
    assert.deepEqual(
      lines,
      written.map((line) => (line.endsWith('\n') ? line.slice(0, -1) : line)),
    );
    // The worker counts each line it takes in, plus the newline that ended it.
    assert.equal(
      lines.reduce((sum, line) => sum + line.length + 1, 0),
      counted,
    );
  });

  it('keep a line whole when it holds a raw newline, which JSON only allows as whitespace', () => {
    const batch = new LineBytes();
    const chars = batch.add('{"a":1,\n"b":2}\n');
    const lines = decodeLines(batch.take());
    assert.equal(lines.length, 1);
    assert.deepEqual(JSON.parse(lines[0]!), { a: 1, b: 2 });
    assert.equal(lines[0]!.length + 1, chars);
  });

  it('hand over each batch on an ArrayBuffer of its own, so that transferring it detaches nothing else', () => {
    const batch = new LineBytes();
    batch.add('{"first":true}\n');
    const first = batch.take();
    batch.add('{"second":true}\n');
    const second = batch.take();
    assert.notEqual(first.buffer, second.buffer);
    const { port1, port2 } = new MessageChannel();
    port1.postMessage(first, [first.buffer as ArrayBuffer]);
    port1.close();
    port2.close();
    assert.equal(first.byteLength, 0, 'the transferred batch is detached');
    assert.deepEqual(decodeLines(second), ['{"second":true}']);
    const small = Buffer.from('pooled');
    assert.equal(small.toString(), 'pooled', "Buffer's shared pool is untouched");
  });

  it('turn raw newlines inside an unterminated line into spaces too, and count an empty first line', () => {
    const batch = new LineBytes();
    const chars = [batch.add(''), batch.add('{"a":1,\n"b":2}'), batch.add('{"c":\n3}\n'), batch.add('\n')];
    const lines = decodeLines(batch.take());
    assert.deepEqual(lines, ['', '{"a":1, "b":2}', '{"c": 3}', '']);
    assert.deepEqual(chars, lines.map((line) => line.length + 1));
  });
});
