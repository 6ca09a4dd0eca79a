import net from 'node:net';

// The demo's database outage. The checkout reaches PostgreSQL through this TCP relay; cutting it
// is, to the service, exactly a database that went away: open connections drop mid-query and new
// ones are reset until it is back. Nothing in the service knows about the relay.

export interface OutageRelay {
  port: number;
  readonly down: boolean;
  setDown(down: boolean): void;
  close(): Promise<void>;
}

export async function startOutageRelay(target: net.NetConnectOpts): Promise<OutageRelay> {
  const open = new Set<net.Socket>();
  let down = false;

  const server = net.createServer((client) => {
    if (down) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(target);
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      // Either side failing ends both: the other one sees its connection drop.
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });

  return {
    port: (server.address() as net.AddressInfo).port,
    get down() {
      return down;
    },
    setDown(value) {
      down = value;
      if (down) for (const socket of open) socket.resetAndDestroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}
