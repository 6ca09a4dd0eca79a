import type http from 'node:http';
import { isIP } from 'node:net';
import os from 'node:os';

// What every viewer response carries and what every viewer request must pass. The page shows
// attacker-controlled text (error messages, notes, attributes, log bodies), so the browser is told
// to run only the viewer's own script files: no inline script, no eval, no HTML sinks (Trusted
// Types with no policy makes every innerHTML-style assignment throw), no framing, nothing fetched
// from elsewhere. The Host check keeps a web page from reading the viewer through DNS rebinding.

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), usb=(), payment=()',
};

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1']);

/**
 * The host names a request may be addressed to: loopback names, the address the server is bound
 * to, and when bound to every interface, the machine's addresses and host name.
 */
export function allowedHosts(boundAddress: string): Set<string> {
  const hosts = new Set(LOOPBACK_NAMES);
  hosts.add(boundAddress.toLowerCase());
  if (boundAddress === '0.0.0.0' || boundAddress === '::') {
    for (const addresses of Object.values(os.networkInterfaces())) {
      for (const address of addresses ?? []) hosts.add(address.address.toLowerCase());
    }
    hosts.add(os.hostname().toLowerCase());
  }
  return hosts;
}

/** Whether the Host header names this server (any port: the port is the socket's business). */
export function hostAllowed(hostHeader: string | undefined, allowed: ReadonlySet<string>): boolean {
  if (hostHeader === undefined || hostHeader === '') return false;
  const name = hostName(hostHeader.trim().toLowerCase());
  if (name === undefined) return false;
  return allowed.has(name) || name.endsWith('.localhost');
}

function hostName(host: string): string | undefined {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end === -1 ? undefined : host.slice(1, end);
  }
  const colon = host.lastIndexOf(':');
  const name = colon === -1 ? host : host.slice(0, colon);
  return name === '' || (name.includes(':') && isIP(name) === 0) ? undefined : name;
}

export function send(response: http.ServerResponse, status: number, contentType: string, body: string | Buffer, headers: Record<string, string> = {}, headOnly = false): void {
  if (response.headersSent) return;
  response.writeHead(status, { ...SECURITY_HEADERS, 'content-type': contentType, 'content-length': String(Buffer.byteLength(body)), ...headers });
  response.end(headOnly ? undefined : body);
}

export function sendJson(response: http.ServerResponse, status: number, value: unknown, headOnly = false): void {
  send(response, status, 'application/json; charset=utf-8', JSON.stringify(value), { 'cache-control': 'no-store' }, headOnly);
}

export function sendText(response: http.ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  send(response, status, 'text/plain; charset=utf-8', `${message}\n`, { 'cache-control': 'no-store', ...headers });
}
