import { readFileSync } from 'node:fs';
import type { Agent } from 'node:http';
import type { Duplex } from 'node:stream';
import type { SignalExportConfig } from '../config.ts';
import { warnOnce } from '../warn.ts';

/**
 * The HTTP agent of an OTLP exporter that runs on the app's thread (records of the OpenTelemetry
 * logs API): its sockets never keep the process alive.
 *
 * An export in flight to a collector that does not answer would otherwise hold an app that has
 * finished its work for up to the export timeout (10 s by default) before the loop drains and the
 * exit flush, bounded by FAULTLINE_SHUTDOWN_TIMEOUT_MS, even starts. Unreferenced, the loop drains
 * at once and the exit flush waits for that export within the deadline, as for every other signal
 * (the export worker's own thread never holds the process either).
 *
 * Passing an agent replaces the one the SDK builds from the OTEL_EXPORTER_OTLP_*CERTIFICATE and
 * *CLIENT_* variables, so the same files are read here.
 */
export function unrefAgentFactory(tls: SignalExportConfig['tls']): (protocol: string) => Promise<Agent> {
  return async (protocol) => {
    const secure = protocol !== 'http:';
    const { Agent: AgentClass } = secure ? await import('node:https') : await import('node:http');
    const agent: Agent = new AgentClass({
      keepAlive: true,
      ...(secure ? { ca: pem(tls.certificate, 'root certificate'), cert: pem(tls.clientCertificate, 'client certificate'), key: pem(tls.clientKey, 'client key') } : {}),
    });
    const unrefed = agent as unknown as PatchableAgent;
    const createConnection = unrefed.createConnection.bind(agent);
    unrefed.createConnection = (options, callback) => {
      const socket = createConnection(options, callback);
      socket?.unref?.();
      return socket;
    };
    // Node references a kept-alive socket again when it reuses it for the next request.
    const reuseSocket = unrefed.reuseSocket.bind(agent);
    unrefed.reuseSocket = (socket, request) => {
      reuseSocket(socket, request);
      socket.unref?.();
    };
    return agent;
  };
}

type Socket = Duplex & { unref?: () => void };

/** The two Agent methods that hand out sockets (typed loosely: the http and https ones differ). */
interface PatchableAgent {
  createConnection: (options: object, callback?: (error: Error | null, socket: Duplex) => void) => Socket | null | undefined;
  reuseSocket: (socket: Socket, request: unknown) => void;
}

function pem(file: string | undefined, what: string): Buffer | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch (error) {
    warnOnce(`tls:${file}`, `could not read the ${what} file ${file} (${(error as Error).message}); exporting without it`);
    return undefined;
  }
}
