import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../../src/model/errors.js';
import { openQueue, parseQueueUrl } from '../../src/queue/url.js';

const base = { stateDir: '/var/lib/switchyard', cwd: '/work' };

describe('parseQueueUrl', () => {
  it('defaults to the SQLite queue in the state dir; sqlite:PATH is relative to cwd', () => {
    expect(parseQueueUrl(undefined, base)).toEqual({ kind: 'sqlite', path: '/var/lib/switchyard/queue.db' });
    expect(parseQueueUrl('sqlite:', base)).toEqual({ kind: 'sqlite', path: '/var/lib/switchyard/queue.db' });
    expect(parseQueueUrl('sqlite:state/q.db', base)).toEqual({ kind: 'sqlite', path: '/work/state/q.db' });
    expect(parseQueueUrl('sqlite:/tmp/q.db', base)).toEqual({ kind: 'sqlite', path: '/tmp/q.db' });
    expect(parseQueueUrl('sqlite:///tmp/q.db', base)).toEqual({ kind: 'sqlite', path: '/tmp/q.db' });
  });

  it('reads a NATS URL: stream (default switchyard), credentials and options', () => {
    expect(parseQueueUrl('nats://127.0.0.1:4222', base)).toEqual({
      kind: 'nats',
      options: { servers: '127.0.0.1:4222', stream: 'switchyard' },
    });
    expect(
      parseQueueUrl(
        'nats://bot:s%40cret@nats.internal/LANDING?ackWait=30s&maxDeliver=8&consumer=drain',
        base,
      ),
    ).toEqual({
      kind: 'nats',
      options: {
        servers: 'nats.internal:4222',
        stream: 'LANDING',
        user: 'bot',
        pass: 's@cret',
        ackWaitMs: 30_000,
        maxDeliver: 8,
        consumer: 'drain',
      },
    });
  });

  it('reads a Pub/Sub URL: short names are in the subscription project; the emulator comes from the URL or env', () => {
    const url =
      'pubsub://projects/p1/subscriptions/landing?topic=landing&deadLetterTopic=projects/p2/topics/dead&deadLetterSubscription=dead-sub';
    expect(parseQueueUrl(url, { ...base, env: { PUBSUB_EMULATOR_HOST: 'localhost:8085' } })).toEqual({
      kind: 'pubsub',
      options: {
        subscription: 'projects/p1/subscriptions/landing',
        topic: 'projects/p1/topics/landing',
        deadLetterTopic: 'projects/p2/topics/dead',
        deadLetterSubscription: 'projects/p1/subscriptions/dead-sub',
        emulatorHost: 'localhost:8085',
      },
    });
    expect(parseQueueUrl('pubsub://projects/p1/subscriptions/s?emulator=127.0.0.1:9000', base)).toMatchObject(
      { options: { emulatorHost: '127.0.0.1:9000' } },
    );
    expect(parseQueueUrl('pubsub://projects/p1/subscriptions/s', base)).toEqual({
      kind: 'pubsub',
      options: { subscription: 'projects/p1/subscriptions/s' },
    });
  });

  it('reads an SQS URL: AWS (https, region from the host) or a local server (endpoint, test credentials)', () => {
    expect(
      parseQueueUrl(
        'sqs://sqs.eu-west-3.amazonaws.com/123456789012/landing?deadLetter=sqs://sqs.eu-west-3.amazonaws.com/123456789012/dead',
        base,
      ),
    ).toEqual({
      kind: 'sqs',
      options: {
        queueUrl: 'https://sqs.eu-west-3.amazonaws.com/123456789012/landing',
        region: 'eu-west-3',
        deadLetterUrl: 'https://sqs.eu-west-3.amazonaws.com/123456789012/dead',
      },
    });
    expect(parseQueueUrl('sqs://127.0.0.1:4566/000000000000/landing?region=eu-west-1', base)).toEqual({
      kind: 'sqs',
      options: {
        queueUrl: 'http://127.0.0.1:4566/000000000000/landing',
        region: 'eu-west-1',
        endpoint: 'http://127.0.0.1:4566',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      },
    });
    const env = {
      AWS_ACCESS_KEY_ID: 'AK',
      AWS_SECRET_ACCESS_KEY: 'SK',
      AWS_SESSION_TOKEN: 'T',
      AWS_REGION: 'us-west-2',
    };
    expect(
      parseQueueUrl('sqs://sqs.us-east-1.localhost:4566/000000000000/q?endpoint=http://127.0.0.1:4566/', {
        ...base,
        env,
      }),
    ).toEqual({
      kind: 'sqs',
      options: {
        queueUrl: 'http://sqs.us-east-1.localhost:4566/000000000000/q',
        region: 'us-east-1',
        endpoint: 'http://127.0.0.1:4566',
        credentials: { accessKeyId: 'AK', secretAccessKey: 'SK', sessionToken: 'T' },
      },
    });
  });

  it('refuses unknown schemes, unknown options and malformed names with E_CONFIG_INVALID naming the URL (password hidden)', () => {
    const refused = (url: string): ConfigInvalidError => {
      try {
        parseQueueUrl(url, base);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigInvalidError);
        return error as ConfigInvalidError;
      }
      throw new Error(`accepted ${url}`);
    };
    expect(refused('redis://localhost/0').message).toMatch(
      /redis:\/\/localhost\/0.*unknown queue scheme "redis"/,
    );
    expect(refused('nats://u:hunter2@h/S?ackwait=1s').message).not.toContain('hunter2');
    expect(refused('nats://h/S?ackwait=1s').message).toMatch(/unknown option "ackwait"/);
    expect(refused('nats://h/S?ackWait=soon').message).toMatch(/ackWait=soon/);
    expect(refused('nats://h/bad.name').message).toMatch(/stream name/);
    expect(refused('pubsub://projects/p/topics/t').message).toMatch(/subscriptions/);
    expect(refused('pubsub://projects/p/subscriptions/s?topic=a/b').message).toMatch(/not a topic name/);
    expect(refused('sqs://sqs.eu-west-3.amazonaws.com/landing').message).toMatch(/ACCOUNT\/QUEUE/);
  });
});

describe('openQueue', () => {
  it('opens the SQLite queue in the state dir by default', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'switchyard-url-'));
    try {
      const queue = await openQueue(undefined, { stateDir: dir });
      await queue.publish([{ origin: 'manual', bucket: 'b', key: 'k' }]);
      expect((await queue.stats()).depth).toBe(1);
      await queue.close();
      expect((await stat(path.join(dir, 'queue.db'))).isFile()).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects an unknown scheme before loading anything', async () => {
    await expect(openQueue('kafka://broker:9092/topic', { stateDir: '/nonexistent' })).rejects.toMatchObject({
      code: 'E_CONFIG_INVALID',
    });
  });
});
