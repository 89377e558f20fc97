/** A port for a server a test starts itself, or for a closed port to point a client at. */
import { createServer } from 'node:net';

/**
 * A port on 127.0.0.1 nobody listens on right now (the OS picks it, then it is
 * released).
 *
 * @example
 * const port = await freePort();
 * const model = openAIModel({ model: 'x', baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'k' }); // connection refused
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
