import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { runApp } from '../helpers/run-app.ts';

// Node arms a keep-alive connection's idle timer while the response finishes, inside the request's
// context. Code that runs when the connection idles out is not part of that request.

test('a keep-alive connection idles out outside the context of the request it last served', async () => {
  const app = runApp('test/fixtures/preload/idle-timeout.mjs', { env: { OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' } });
  try {
    const [, port] = await app.waitForLine(/listening (\d+)/);
    // A raw client that keeps the connection open and idle after one request.
    const socket = net.connect(Number(port), '127.0.0.1');
    socket.setEncoding('utf8');
    let received = '';
    const servedIn = await new Promise<string>((resolve, reject) => {
      socket.on('data', (chunk: string) => {
        received += chunk;
        const match = /\r\n\r\n[0-9a-f]*\r?\n?([0-9a-f]{32}|no span)/.exec(received);
        if (match !== null) resolve(match[1]!);
      });
      socket.on('error', reject);
      socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n');
    });
    assert.match(servedIn, /^[0-9a-f]{32}$/, 'the request itself ran in its server span');
    const [, idledIn] = await app.waitForLine(/idle timeout ran in (.+)/);
    assert.equal(idledIn, 'no span');
    socket.destroy();
    const exit = await app.exited;
    assert.equal(exit.code, 0, exit.stderr);
  } finally {
    app.child.kill();
  }
});
