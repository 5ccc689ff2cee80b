import { connect, type Socket } from 'node:net';

/**
 * A raw TCP connection to an HTTP server that collects what it sends and whether it closed: for
 * requests no HTTP client library will send (duplicate Content-Length, odd methods, HTTP/1.0,
 * bodies cut short) and for reading answers byte for byte.
 */
export class RawHttpClient {
  private readonly socket: Socket;
  received = '';
  closed = false;

  constructor(port: number, host = '127.0.0.1') {
    this.socket = connect(port, host);
    this.socket.on('data', (chunk) => {
      this.received += chunk.toString('latin1');
    });
    this.socket.on('close', () => {
      this.closed = true;
    });
    this.socket.on('error', () => {});
  }

  write(data: string | Uint8Array): void {
    this.socket.write(data);
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Waits until `predicate` holds (or fails after `ms`, 5 s by default, showing what came). */
  async until(predicate: (client: RawHttpClient) => boolean, ms = 5_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!predicate(this)) {
      if (Date.now() > deadline) throw new Error(`timed out; received ${JSON.stringify(this.received)}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** How many answers (HTTP/1.1 status lines) have come back. */
  get answers(): number {
    return this.received.split('HTTP/1.1 ').length - 1;
  }
}
