import net from 'node:net';

/**
 * A TCP forwarder on a loopback port that a test can cut: `block()` resets every connection and stops
 * listening (peers see ECONNREFUSED, as with a server that is unreachable), `unblock()` listens again
 * on the same port. `hangUp()` keeps the port (nobody else can take it meanwhile) and resets every
 * connection, old and new, until `reconnect()`: a server that is down, without a port to race for.
 */
export class TcpProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private boundPort = 0;
  private hangingUp = false;

  private constructor(private readonly targetPort: number) {}

  static async start(targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetPort);
    await proxy.listen();
    return proxy;
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `http://127.0.0.1:${this.boundPort}`;
  }

  async block(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.resetAndDestroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  async unblock(): Promise<void> {
    if (!this.server) await this.listen();
  }

  hangUp(): void {
    this.hangingUp = true;
    for (const socket of this.sockets) socket.resetAndDestroy();
    this.sockets.clear();
  }

  reconnect(): void {
    this.hangingUp = false;
  }

  close(): Promise<void> {
    return this.block();
  }

  private listen(): Promise<void> {
    const server = net.createServer((client) => this.forward(client));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.boundPort, '127.0.0.1', () => {
        this.boundPort = (server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  }

  private forward(client: net.Socket): void {
    if (this.hangingUp) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(this.targetPort, '127.0.0.1');
    this.sockets.add(client).add(upstream);
    const drop = () => {
      this.sockets.delete(client);
      this.sockets.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
  }
}
