import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** An HTTPS server on 127.0.0.1 with a self-signed certificate, recording the JSON bodies it is POSTed. */
export interface HttpsSink {
  url: string;
  /** The certificate, to trust (Notifier `ca`). */
  ca: string;
  bodies: unknown[];
  /** Status answered to each POST (default 204). */
  status: number;
  close(): Promise<void>;
}

/** A self-signed certificate for 127.0.0.1 made with openssl. */
function selfSigned(): { key: string; cert: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'switchyard-tls-'));
  try {
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1'].concat([
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ]),
      { stdio: 'ignore' },
    );
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startHttpsSink(): Promise<HttpsSink> {
  const { key, cert } = selfSigned();
  const sink: HttpsSink = {
    url: '',
    ca: cert,
    bodies: [],
    status: 204,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      sink.bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(sink.status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('no address');
  sink.url = `https://127.0.0.1:${address.port}/loads`;
  return sink;
}
