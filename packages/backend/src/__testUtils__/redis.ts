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

const isUp = (port: number) =>
  new Promise<boolean>(resolve => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });

/**
 * Starts Debian's redis-server on a free loopback port, without persistence. It ends with the test process:
 * backend instances keep their Redis clients open after stop(), and would report a vanished server.
 */
export async function startRedis(): Promise<{ url: string }> {
  const port = await freePort();
  // `timeout` ends it even when jest kills its worker without running exit handlers.
  const child = spawn(
    'timeout',
    [
      '600',
      'redis-server',
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
    ],
    { stdio: 'ignore' },
  );
  process.once('exit', () => child.kill('SIGTERM'));
  for (let i = 0; i < 100 && !(await isUp(port)); i++) {
    if (child.exitCode !== null)
      throw new Error(`redis-server exited with ${child.exitCode}`);
    await new Promise(r => setTimeout(r, 50));
  }
  return { url: `redis://127.0.0.1:${port}` };
}
