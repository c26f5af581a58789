// The lean S3 client (HeadObject, CopyObject, DeleteObject, ListObjectsV2):
// its SigV4 signatures checked by an independent implementation of the
// algorithm, its requests answered by fauxqs (keys that need encoding
// included), and its failures typed by the store as the SDK's were.
import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError, PermanentError, PreconditionError, TransientError } from '../../src/model/errors.js';
import { createS3Store } from '../../src/storage/s3/store.js';
import { LeanS3Client } from '../../src/storage/s3/lean-client.js';
import { LeanS3Error, listPageOf } from '../../src/storage/s3/lean-shapes.js';
import { FAUXQS_ACCESS_KEY_ENV, FAUXQS_SECRET_KEY_ENV, startFauxqs, type Fauxqs } from '../helpers/fauxqs.js';

const CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const REGION = 'eu-west-3';

/** A request as a server received it. */
interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

/** RFC 3986 encoding (AWS's UriEncode). */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * The SigV4 signature of a received S3 request, recomputed from the AWS
 * documentation's algorithm (canonical request → string to sign → HMAC
 * chain), independently of @smithy/signature-v4.
 */
function expectedSignature(request: Received): string {
  const auth = String(request.headers.authorization);
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(auth)?.[1]?.split(';') ?? [];
  const [path = '', search = ''] = request.url.split('?');
  const query = search
    .split('&')
    .filter(Boolean)
    .map((pair) =>
      pair
        .split('=')
        .map((part) => uriEncode(decodeURIComponent(part)))
        .join('='),
    )
    .sort()
    .join('&');
  const canonical = [
    request.method,
    path, // S3: the path as sent, not encoded twice
    query,
    ...signedHeaders.map((name) => `${name}:${String(request.headers[name]).trim()}`),
    '',
    signedHeaders.join(';'),
    String(request.headers['x-amz-content-sha256']),
  ].join('\n');
  const date = String(request.headers['x-amz-date']);
  const scope = `${date.slice(0, 8)}/${REGION}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', date, scope, createHash('sha256').update(canonical).digest('hex')].join(
    '\n',
  );
  let key: Buffer | string = `AWS4${CREDENTIALS.secretAccessKey}`;
  for (const part of [date.slice(0, 8), REGION, 's3', 'aws4_request'])
    key = createHmac('sha256', key).update(part).digest();
  return createHmac('sha256', key).update(toSign).digest('hex');
}

/** A server answering every request with `answer`, recording what it received. */
async function cannedServer(
  answer: (request: Received) => { status: number; headers?: Record<string, string>; body?: string },
): Promise<{ endpoint: string; received: Received[]; stop(): Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers };
    received.push(request);
    req.resume();
    req.on('end', () => {
      const { status, headers = {}, body = '' } = answer(request);
      res.writeHead(status, {
        ...headers,
        ...(req.method === 'HEAD' ? {} : { 'content-length': String(Buffer.byteLength(body)) }),
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    received,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Listens with a raw server (its answers exactly the bytes it writes), runs `use` with a client of it, then closes both. */
async function withClientOf(server: net.Server, use: (client: LeanS3Client) => Promise<void>): Promise<void> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = new LeanS3Client({
    endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    region: REGION,
    forcePathStyle: true,
    credentials: CREDENTIALS,
  });
  try {
    await use(client);
  } finally {
    client.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const errorXml = (code: string, message: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>r1</RequestId></Error>`;

describe('lean S3 client: signatures', () => {
  it('signs HEAD, CopyObject, DELETE and ListObjectsV2 as SigV4 says, keys and query values needing encoding included', async () => {
    const server = await cannedServer((request) =>
      request.method === 'GET'
        ? { status: 200, body: '<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>' }
        : request.method === 'PUT'
          ? {
              status: 200,
              body: '<CopyObjectResult><ETag>"e"</ETag><LastModified>2026-01-02T03:04:05.000Z</LastModified></CopyObjectResult>',
            }
          : {
              status: request.method === 'DELETE' ? 204 : 200,
              headers: { etag: '"e"', 'content-length': '0' },
            },
    );
    const client = new LeanS3Client({
      endpoint: server.endpoint,
      region: REGION,
      forcePathStyle: true,
      credentials: { ...CREDENTIALS, sessionToken: 'token/with+chars=' },
    });
    try {
      const key = 'dir (1)/données été+plus*star~tilde!.csv';
      await client.headObject({ Bucket: 'bucket', Key: key, ChecksumMode: 'ENABLED', IfMatch: '"e"' });
      await client.copyObject({
        Bucket: 'bucket',
        Key: key,
        headers: { 'x-amz-copy-source': 'src/a%20b.csv', 'x-amz-meta-switchyard-source': 'src/a b.csv' },
      });
      await client.deleteObject({ Bucket: 'bucket', Key: key, VersionId: 'v+1/2' });
      await client.listObjectsV2({ Bucket: 'bucket', Prefix: 'in/a b&c=', ContinuationToken: 'tok+/=' });
      expect(server.received.map((r) => r.method)).toEqual(['HEAD', 'PUT', 'DELETE', 'GET']);
      for (const request of server.received) {
        const signature = /Signature=([0-9a-f]{64})/.exec(String(request.headers.authorization))?.[1];
        expect(signature, `${request.method} ${request.url}`).toBe(expectedSignature(request));
        expect(request.headers['x-amz-security-token']).toBe('token/with+chars=');
        expect(String(request.headers.authorization)).toContain(`Credential=AKIDEXAMPLE/`);
      }
      const [head, copy, del, list] = server.received;
      expect(head?.url).toBe('/bucket/dir%20%281%29/donn%C3%A9es%20%C3%A9t%C3%A9%2Bplus%2Astar~tilde%21.csv');
      expect(head?.headers['if-match']).toBe('"e"');
      expect(head?.headers['x-amz-checksum-mode']).toBe('ENABLED');
      expect(copy?.headers['x-amz-copy-source']).toBe('src/a%20b.csv');
      expect(del?.url).toContain('?versionId=v%2B1%2F2');
      expect(new URL(list?.url ?? '', 'http://x').searchParams.get('prefix')).toBe('in/a b&c=');
    } finally {
      client.destroy();
      await server.stop();
    }
  });
});

describe('lean S3 client: connections', () => {
  it('keeps the socket after a HEAD answered 404 without Content-Length (as fauxqs answers a missing key)', async () => {
    let connections = 0;
    // a raw server, so the answer is exactly fauxqs' bytes (Node's own server would add headers)
    const server = net.createServer((socket) => {
      connections++;
      let pending = '';
      socket.on('data', (data) => {
        pending += data.toString('latin1');
        for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
          pending = pending.slice(end + 4);
          socket.write('HTTP/1.1 404 Not Found\r\nx-amz-request-id: r\r\nConnection: keep-alive\r\n\r\n');
        }
      });
    });
    await withClientOf(server, async (client) => {
      for (let i = 0; i < 10; i++)
        expect(await client.lookObject({ Bucket: 'b', Key: `missing-${i}` })).toBeUndefined();
      expect(connections).toBe(1);
    });
  });
});

describe('lean S3 client: answers', () => {
  it('an answer whose connection closes before its body ended is tried again, never read as whole', async () => {
    const listing = (key: string) =>
      `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult><Name>b</Name><KeyCount>1</KeyCount><IsTruncated>false</IsTruncated><Contents><Key>${key}</Key><Size>1</Size><ETag>"e"</ETag><LastModified>2024-01-01T00:00:00.000Z</LastModified></Contents></ListBucketResult>`;
    let answered = 0;
    const server = net.createServer((socket) => {
      socket.once('data', () => {
        answered++;
        const body = listing(`k${answered}`);
        const head = `HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: ${body.length}\r\n\r\n`;
        // the first answer stops halfway through its body, its connection closed
        if (answered === 1) socket.end(head + body.slice(0, body.length / 2));
        else socket.end(head + body);
      });
    });
    await withClientOf(server, async (client) => {
      const page = await client.listObjectsV2({ Bucket: 'b' });
      expect(page.Contents?.map((o) => o.Key)).toEqual(['k2']);
      expect(answered).toBe(2);
    });
  });

  it('reads a listing whose keys hold XML entities, and its continuation token', () => {
    const page = listPageOf(
      '<?xml version="1.0"?><ListBucketResult><Name>b</Name><IsTruncated>true</IsTruncated>' +
        '<Contents><Key>a &amp; b &lt;c&gt; &#233;&#xe9;.csv</Key><LastModified>2026-01-02T03:04:05.123Z</LastModified>' +
        '<ETag>&quot;900150983cd24fb0d6963f7d28e17f72&quot;</ETag><Size>3</Size></Contents>' +
        '<Contents><Key>IsTruncated</Key><Size>0</Size></Contents>' +
        '<NextContinuationToken>next+/=</NextContinuationToken></ListBucketResult>',
    );
    expect(page.Contents.map((c) => c.Key)).toEqual(['a & b <c> éé.csv', 'IsTruncated']);
    expect(page.Contents[0]).toMatchObject({
      ETag: '"900150983cd24fb0d6963f7d28e17f72"',
      Size: 3,
      LastModified: new Date('2026-01-02T03:04:05.123Z'),
    });
    expect(page).toMatchObject({ IsTruncated: true, NextContinuationToken: 'next+/=' });
  });
});

describe('lean S3 client against fauxqs', () => {
  let fauxqs: Fauxqs;

  beforeAll(async () => {
    fauxqs = await startFauxqs();
    await fauxqs.createBucket('lean');
  });
  afterAll(async () => fauxqs?.stop());

  const client = () =>
    new LeanS3Client({
      endpoint: fauxqs.endpoint,
      region: fauxqs.region,
      forcePathStyle: true,
      credentials: fauxqs.credentials,
    });

  it('looks at, copies, lists and deletes objects whose keys need encoding, answered as the SDK answers', async () => {
    const s3 = client();
    try {
      const key = 'in/données (1) & co+é.csv';
      const put = await fetch(`${fauxqs.endpoint}/lean/${key.split('/').map(encodeURIComponent).join('/')}`, {
        method: 'PUT',
        body: 'abc',
        headers: { 'content-type': 'text/csv', 'x-amz-meta-owner': 'finance' },
      });
      expect(put.ok).toBe(true);
      const head = await s3.headObject({ Bucket: 'lean', Key: key });
      expect(head).toMatchObject({
        ETag: '"900150983cd24fb0d6963f7d28e17f72"',
        ContentLength: 3,
        ContentType: 'text/csv',
        Metadata: { owner: 'finance' },
      });
      expect(head.LastModified).toBeInstanceOf(Date);
      expect(await s3.lookObject({ Bucket: 'lean', Key: 'in/missing.csv' })).toBeUndefined();
      const copied = await s3.copyObject({
        Bucket: 'lean',
        Key: 'out/copy é.csv',
        headers: {
          'x-amz-copy-source': `lean/${key.split('/').map(encodeURIComponent).join('/')}`,
          'x-amz-metadata-directive': 'REPLACE',
          'x-amz-meta-route': 'r1',
          'content-type': 'text/plain',
        },
      });
      expect(copied.CopyObjectResult?.ETag).toBe('"900150983cd24fb0d6963f7d28e17f72"');
      expect(copied.CopyObjectResult?.LastModified).toBeInstanceOf(Date);
      // the metadata replaced (fauxqs keeps the source's Content-Type whatever the copy says)
      expect((await s3.headObject({ Bucket: 'lean', Key: 'out/copy é.csv' })).Metadata).toEqual({
        route: 'r1',
      });
      const first = await s3.listObjectsV2({ Bucket: 'lean', MaxKeys: 1 });
      expect(first.IsTruncated).toBe(true);
      const rest = await s3.listObjectsV2({
        Bucket: 'lean',
        ContinuationToken: first.NextContinuationToken ?? '',
      });
      const keys = [...first.Contents, ...rest.Contents].map((c) => c.Key).sort();
      expect(keys).toEqual([key, 'out/copy é.csv'].sort());
      expect((await s3.listObjectsV2({ Bucket: 'lean', Prefix: 'out/' })).Contents).toHaveLength(1);
      await s3.deleteObject({ Bucket: 'lean', Key: 'out/copy é.csv' });
      expect(await s3.lookObject({ Bucket: 'lean', Key: 'out/copy é.csv' })).toBeUndefined();
      await expect(s3.headObject({ Bucket: 'lean', Key: 'out/copy é.csv' })).rejects.toMatchObject({
        name: 'NotFound',
        $metadata: { httpStatusCode: 404 },
      });
    } finally {
      s3.destroy();
    }
  });

  it('streams an object, pinned to its ETag: another ETag is PreconditionFailed (412)', async () => {
    const s3 = client();
    try {
      const body = Buffer.alloc(3 * 1024 * 1024 + 7, 9);
      await fetch(`${fauxqs.endpoint}/lean/big%20one.bin`, { method: 'PUT', body });
      const head = await s3.headObject({ Bucket: 'lean', Key: 'big one.bin' });
      const got = await s3.getObject({ Bucket: 'lean', Key: 'big one.bin', IfMatch: head.ETag ?? '' });
      expect(got).toMatchObject({ ETag: head.ETag, ContentLength: body.length });
      const chunks: Buffer[] = [];
      for await (const chunk of got.Body) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).equals(body)).toBe(true);
      await expect(
        s3.getObject({ Bucket: 'lean', Key: 'big one.bin', IfMatch: '"00000000000000000000000000000000"' }),
      ).rejects.toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
      await expect(s3.getObject({ Bucket: 'lean', Key: 'no such.bin' })).rejects.toMatchObject({
        name: 'NoSuchKey',
        $metadata: { httpStatusCode: 404 },
      });
    } finally {
      s3.destroy();
    }
  });

  it('gives the store the typed errors it gave with the SDK: NoSuchKey → NotFoundError', async () => {
    const store = createS3Store(
      'cloud',
      {
        backend: 's3',
        endpoint: fauxqs.endpoint,
        region: fauxqs.region,
        forcePathStyle: true,
        accessKeyIdEnv: FAUXQS_ACCESS_KEY_ENV,
        secretAccessKeyEnv: FAUXQS_SECRET_KEY_ENV,
      },
      fauxqs.env,
    );
    try {
      await expect(store.delete('lean', 'nothing-here')).rejects.toBeInstanceOf(NotFoundError);
      await expect(
        store.copy(store, { bucket: 'lean', key: 'nothing-here' }, { bucket: 'lean', key: 'x' }),
      ).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.list('no-such-bucket')).rejects.toMatchObject({
        code: 'E_BACKEND_PERMANENT',
        details: { name: 'NoSuchBucket', status: 404 },
      });
    } finally {
      await store.close();
    }
  });
});

describe('lean S3 client: failures typed as the SDK errors were', () => {
  const storeOn = (endpoint: string) =>
    createS3Store(
      'cloud',
      {
        backend: 's3',
        endpoint,
        region: REGION,
        forcePathStyle: true,
        accessKeyIdEnv: 'KEY',
        secretAccessKeyEnv: 'SECRET',
        capabilities: { conditionalWrite: true },
      },
      { KEY: CREDENTIALS.accessKeyId, SECRET: CREDENTIALS.secretAccessKey },
    );

  it.each([
    ['NoSuchKey', 404, NotFoundError, 'E_NOT_FOUND'],
    ['PreconditionFailed', 412, PreconditionError, 'E_PRECONDITION'],
    ['AccessDenied', 403, PermanentError, 'E_BACKEND_PERMANENT'],
    ['SlowDown', 503, TransientError, 'E_BACKEND'],
  ])('a CopyObject answered %s (HTTP %i) is %s %s', async (code, status, kind, errorCode) => {
    const server = await cannedServer((request) =>
      request.method === 'HEAD'
        ? { status: 404 }
        : { status, headers: { 'content-type': 'application/xml' }, body: errorXml(code, `${code} here`) },
    );
    const store = storeOn(server.endpoint);
    try {
      const sourceInfo = {
        bucket: 'b',
        key: 'src.csv',
        generation: '900150983cd24fb0d6963f7d28e17f72@1767323045',
        etag: '900150983cd24fb0d6963f7d28e17f72',
        size: 3,
        created: new Date(1767323045000),
        updated: new Date(1767323045000),
        metadata: {},
      };
      const error = await store
        .copy(
          store,
          { bucket: 'b', key: 'src.csv' },
          { bucket: 'b', key: 'dst.csv' },
          {
            sourceInfo,
            ifSourceGenerationMatch: sourceInfo.generation,
            ifGenerationMatch: '0',
          },
        )
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(kind);
      expect(error).toMatchObject({ code: errorCode });
      if (kind !== PreconditionError) expect((error as Error).cause).toBeInstanceOf(LeanS3Error);
      const copies = server.received.filter((r) => r.method === 'PUT').length;
      expect(copies).toBe(status >= 500 ? 3 : 1); // transient: tried three times
    } finally {
      await store.close();
      await server.stop();
    }
  });

  it('a CopyObject answered 200 with an <Error> body failed', async () => {
    const server = await cannedServer(() => ({
      status: 200,
      body: errorXml('InternalError', 'copy failed midway'),
    }));
    const client = new LeanS3Client({
      endpoint: server.endpoint,
      region: REGION,
      forcePathStyle: true,
      credentials: CREDENTIALS,
      attempts: 1,
    });
    try {
      await expect(
        client.copyObject({ Bucket: 'b', Key: 'k', headers: { 'x-amz-copy-source': 'b/s' } }),
      ).rejects.toMatchObject({ name: 'InternalError', $metadata: { httpStatusCode: 500 } });
    } finally {
      client.destroy();
      await server.stop();
    }
  });

  it('a HEAD refused without a body is named by its status, as the SDK names it', async () => {
    const server = await cannedServer(() => ({ status: 403 }));
    const store = storeOn(server.endpoint);
    try {
      await expect(store.stat('b', 'k')).rejects.toMatchObject({
        code: 'E_BACKEND_PERMANENT',
        details: { name: 'Forbidden', status: 403 },
      });
    } finally {
      await store.close();
      await server.stop();
    }
  });
});
