// The proxy suite's floor: a plain node:http relay that copies each request's bytes to the upstream over
// kept-alive sockets and the answer's bytes back, knowing nothing of MCP, auth or routing.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer, listen } from '../lib/mcp/serve-http.ts';

export interface ByteRelay {
  /** The relay's URL for the upstream's MCP path. */
  url: string;
  close(): Promise<void>;
}

export async function startByteRelay(upstreamUrl: string): Promise<ByteRelay> {
  const upstream = new URL(upstreamUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const server = await listen(
    (req, res) => {
      const forwarded = http.request(
        {
          host: upstream.hostname,
          port: upstream.port,
          path: req.url,
          method: req.method,
          headers: { ...req.headers, host: upstream.host },
          agent,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forwarded.on('error', () => res.destroy());
      req.pipe(forwarded);
    },
    '127.0.0.1',
    0,
  );
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${upstream.pathname}`,
    async close() {
      agent.destroy();
      await closeServer(server);
    },
  };
}
