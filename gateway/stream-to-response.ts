import type { Readable } from 'node:stream';
import type { HttpExchange } from '../platform/http-exchange.ts';

/**
 * Streams `body` (`size` bytes, e.g. an S3 GetObject body) to the response as the client takes it:
 * each chunk goes out with `tryEnd`; when the socket is full the stream is paused and resumed from
 * `onWritable`, so the gateway holds about one chunk per reader, whatever the object's size.
 * `writeHead` writes the status and headers just before the first byte (uWS adds Content-Length).
 * If the client goes, the stream is destroyed; if the stream fails or ends short after the head is
 * sent, the connection is closed so the client sees a truncated response, never a complete-looking one.
 * Resolves when done; rejects only for a stream error before anything was sent.
 */
export function streamToResponse(
  guard: HttpExchange,
  body: Readable,
  size: number,
  writeHead: () => void,
): Promise<void> {
  const { res } = guard;
  return new Promise((resolve, reject) => {
    if (guard.aborted) {
      body.destroy();
      resolve();
      return;
    }
    let started = false;
    let finished = false;
    const finish = () => {
      finished = true;
      resolve();
    };
    guard.onAbort = () => {
      body.destroy();
      finish();
    };
    const start = () => {
      if (!started) {
        started = true;
        // The answer is under way: the exchange must not send another (an error) on top of it.
        guard.status = 200;
        writeHead();
      }
    };
    body.on('data', (chunk: Buffer) => {
      if (guard.aborted || finished) return;
      res.cork(() => {
        start();
        const offset = res.getWriteOffset();
        const [ok, done] = res.tryEnd(chunk, size);
        if (done) {
          finish();
          body.destroy();
        } else if (!ok) {
          body.pause();
          res.onWritable((at) => {
            const [sent, ended] = res.tryEnd(chunk.subarray(at - offset), size);
            if (ended) finish();
            else if (sent) body.resume();
            return sent;
          });
        }
      });
    });
    body.on('end', () => {
      if (guard.aborted || finished) return;
      if (!started && size === 0) {
        res.cork(() => {
          start();
          res.end();
        });
        finish();
        return;
      }
      // Fewer bytes than announced: do not let it pass for the whole object.
      res.close();
      finish();
    });
    body.on('error', (error) => {
      if (guard.aborted || finished) return;
      if (!started) {
        finished = true;
        reject(error);
        return;
      }
      res.close();
      finish();
    });
  });
}
