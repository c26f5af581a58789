import http from 'node:http';

/**
 * An HTTP proxy in front of an S3-protocol server (fauxqs) that counts the
 * requests it forwards by S3 operation, so a test counts what reaches the
 * server, whichever client (the SDK, the lean client) sent it.
 */
export interface S3CountingProxy {
  /** Point a project's `endpoint` here. */
  endpoint: string;
  /** Requests by operation since the last take, then resets the counts. */
  take(): Record<string, number>;
  stop(): Promise<void>;
}

/** The S3 operation an HTTP request is, by method, query and headers (the ones switchyard sends). */
export function s3Operation(method: string, url: string, headers: http.IncomingHttpHeaders): string {
  const query = new URL(url, 'http://x').searchParams;
  const path = url.split('?')[0] ?? '';
  const onBucket = path.split('/').filter(Boolean).length <= 1;
  switch (method) {
    case 'HEAD':
      return onBucket ? 'HeadBucket' : 'HeadObject';
    case 'GET':
      if (onBucket) return query.has('versions') ? 'ListObjectVersions' : 'ListObjectsV2';
      return 'GetObject';
    case 'PUT':
      if (onBucket) return 'CreateBucket';
      if (query.has('partNumber')) return headers['x-amz-copy-source'] ? 'UploadPartCopy' : 'UploadPart';
      return headers['x-amz-copy-source'] ? 'CopyObject' : 'PutObject';
    case 'POST':
      return query.has('uploads') ? 'CreateMultipartUpload' : 'CompleteMultipartUpload';
    case 'DELETE':
      return query.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
    default:
      return method;
  }
}

export async function startS3CountingProxy(target: string): Promise<S3CountingProxy> {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  let counts: Record<string, number> = {};
  const server = http.createServer((req, res) => {
    const operation = s3Operation(req.method ?? '', req.url ?? '/', req.headers);
    counts[operation] = (counts[operation] ?? 0) + 1;
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
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    take() {
      const taken = counts;
      counts = {};
      return taken;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
