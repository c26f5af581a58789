// An HTTP proxy in front of an S3 endpoint that counts the requests it
// forwards, so requests per object are counted at the server's door, the
// same way for every client that goes through it (switchyard, rclone); and
// the object bytes that crossed it: PUT bodies sent (an object written
// through the client, not a server-side copy) and GetObject answers read.
import http from 'node:http';

/** A path-style request naming an object (`/bucket/key`), not a bucket (`/bucket?list-type=2`). */
function namesObject(url) {
  const path = url.split('?')[0];
  return path.indexOf('/', 1) > 0 && path.indexOf('/', 1) < path.length - 1;
}

/**
 * Starts the proxy on a free port; `counts()` is requests by method since the
 * last `reset()`, `bytes()` the object bytes sent (`put`) and read (`get`).
 */
export async function startCountingProxy(target) {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  let counts = {};
  let bytes = { put: 0, get: 0 };
  const server = http.createServer((req, res) => {
    counts[req.method] = (counts[req.method] ?? 0) + 1;
    if (req.method === 'PUT') req.on('data', (chunk) => (bytes.put += chunk.length));
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
        if (req.method === 'GET' && namesObject(req.url ?? ''))
          answer.on('data', (chunk) => (bytes.get += chunk.length));
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
    bytes: () => ({ ...bytes }),
    total: () => Object.values(counts).reduce((a, b) => a + b, 0),
    reset: () => {
      counts = {};
      bytes = { put: 0, get: 0 };
    },
    stop: () =>
      new Promise((resolve) => {
        agent.destroy();
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
