import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

/** A redis-server of the test's own, on a free loopback port, without persistence. */
export interface TestRedis {
  readonly url: string;
  readonly port: number;
  /** Stops the server (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
}

/** A port nobody listens on right now (the kernel's pick for port 0, released again). */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * Starts Debian's `redis-server` (apt-get install redis-server; .ci/run installs it) and resolves
 * once it accepts connections.
 */
export async function startTestRedis(): Promise<TestRedis> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child: ChildProcess = spawn(
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
        '--loglevel',
        'notice',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const output: string[] = [];
    const ready = await new Promise<boolean>((resolve, reject) => {
      child.once('error', (error) =>
        reject(
          new Error(
            `redis-server did not start (${error.message}); install it: apt-get install redis-server`,
          ),
        ),
      );
      child.stdout?.on('data', (chunk: Buffer) => {
        output.push(chunk.toString());
        if (output.join('').includes('Ready to accept connections')) resolve(true);
      });
      child.once('exit', () => resolve(false));
    });
    if (ready) {
      const exited = once(child, 'exit');
      return {
        port,
        url: `redis://127.0.0.1:${port}`,
        async stop() {
          if (child.exitCode === null) {
            child.kill('SIGTERM');
            await exited;
          }
        },
      };
    }
    // Someone took the port between our check and redis binding it: try another.
    if (attempt >= 3) throw new Error(`redis-server exited before it was ready: ${output.join('')}`);
  }
}
