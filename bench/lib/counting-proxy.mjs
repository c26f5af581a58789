// An HTTP proxy in front of an S3 endpoint that counts the requests it
// forwards, so requests per object are counted at the server's door, the
// same way for every client that goes through it (switchyard, rclone).
import http from 'node:http';

/** Starts the proxy on a free port; `counts()` is requests by method since the last `reset()`. */
export async function startCountingProxy(target) {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  let counts = {};
  const server = http.createServer((req, res) => {
    counts[req.method] = (counts[req.method] ?? 0) + 1;
    const forward = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (answer) => {
        // an answer to HEAD has no body, yet Node closes the socket of one without a
        // Content-Length (fauxqs' 404): keep it, as the server does, so the proxy adds
        // no connection per missing object that the client did not cause
        if (req.method === 'HEAD' && answer.headers.connection !== 'close') forward.shouldKeepAlive = true;
        res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
        answer.pipe(res);
      },
    );
    forward.on('error', (error) => {
      res.writeHead(502);
      res.end(String(error));
    });
    req.pipe(forward);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${server.address().port}`,
    counts: () => ({ ...counts }),
    total: () => Object.values(counts).reduce((a, b) => a + b, 0),
    reset: () => {
      counts = {};
    },
    stop: () =>
      new Promise((resolve) => {
        agent.destroy();
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
