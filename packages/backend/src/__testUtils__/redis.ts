import { spawn } from 'child_process';
import net from 'net';

async function freePort(): Promise<number> {
  return new Promise(resolve => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** Starts Debian's redis-server on a free loopback port, without persistence; stop() ends it. */
export async function startRedis(): Promise<{
  url: string;
  stop(): Promise<void>;
}> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
    ],
    {
      stdio: 'ignore',
    },
  );
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>(resolve => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (up) break;
    if (child.exitCode !== null)
      throw new Error(`redis-server exited with ${child.exitCode}`);
    await new Promise(r => setTimeout(r, 50));
  }
  return { url: `redis://127.0.0.1:${port}` };
}
