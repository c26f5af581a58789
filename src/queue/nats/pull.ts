import { createInbox, type Msg, type NatsConnection } from '@nats-io/transport-node';

/**
 * The JetStream pull protocol at the level switchyard needs it: a `no_wait`
 * pull returns at once with what is available (the client library's `fetch`
 * always waits for a full batch or its expiry, at least one second), and
 * deliveries are acknowledged by publishing to their `$JS.ACK…` subject, so a
 * delivery's ack subject is a complete, process-independent message id.
 */

export interface NatsDelivery {
  /** `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ts>.<pending>` */
  ackSubject: string;
  data: Uint8Array;
  streamSeq: number;
  deliveryCount: number;
  /** epoch ms the message was stored in the stream. */
  storedAt: number;
}

export interface AckInfo {
  stream: string;
  consumer: string;
  deliveryCount: number;
  streamSeq: number;
  storedAt: number;
}

export const ACK = '+ACK';
export const WORKING = '+WPI';

export function nakPayload(delayMs: number): string {
  return delayMs > 0 ? `-NAK ${JSON.stringify({ delay: Math.round(delayMs) * 1_000_000 })}` : '-NAK';
}

/** Parses an ack subject (with or without domain and account tokens); undefined when it is not one. */
export function parseAckSubject(subject: string): AckInfo | undefined {
  const tokens = subject.split('.');
  if (tokens.length === 9) tokens.splice(2, 0, '_', '');
  if (tokens.length < 11 || tokens[0] !== '$JS' || tokens[1] !== 'ACK') return undefined;
  const [stream, consumer] = [tokens[4] ?? '', tokens[5] ?? ''];
  const deliveryCount = Number(tokens[6]);
  const streamSeq = Number(tokens[7]);
  const nanos = tokens[9] ?? '';
  if (
    !stream ||
    !consumer ||
    !Number.isSafeInteger(deliveryCount) ||
    !Number.isSafeInteger(streamSeq) ||
    !/^\d+$/.test(nanos)
  ) {
    return undefined;
  }
  return { stream, consumer, deliveryCount, streamSeq, storedAt: Number(BigInt(nanos) / 1_000_000n) };
}

/**
 * Pulls up to `max` deliveries from a durable pull consumer: first without
 * waiting; when nothing is there and `waitMs` > 0, waits for one message, then
 * takes what else is available at once.
 */
export async function pullDeliveries(
  nc: NatsConnection,
  stream: string,
  consumer: string,
  max: number,
  waitMs: number,
): Promise<NatsDelivery[]> {
  const subject = `$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`;
  const first = await pullRequest(nc, subject, { batch: max, no_wait: true }, max, 5_000);
  if (first.length > 0 || waitMs <= 0) return first;
  const one = await pullRequest(
    nc,
    subject,
    { batch: 1, expires: Math.round(waitMs) * 1_000_000 },
    1,
    waitMs + 2_000,
  );
  if (one.length === 0 || max === 1) return one;
  return one.concat(await pullRequest(nc, subject, { batch: max - 1, no_wait: true }, max - 1, 5_000));
}

async function pullRequest(
  nc: NatsConnection,
  subject: string,
  request: Record<string, unknown>,
  max: number,
  guardMs: number,
): Promise<NatsDelivery[]> {
  const inbox = createInbox();
  const sub = nc.subscribe(inbox);
  const guard = setTimeout(() => sub.unsubscribe(), guardMs);
  const out: NatsDelivery[] = [];
  let failure: string | undefined;
  try {
    nc.publish(subject, JSON.stringify(request), { reply: inbox });
    for await (const msg of sub) {
      if (!msg.reply) {
        failure = statusFailure(msg);
        break;
      }
      const delivery = toDelivery(msg);
      if (delivery) out.push(delivery);
      if (out.length >= max) break;
    }
  } finally {
    clearTimeout(guard);
    sub.unsubscribe();
  }
  if (failure && out.length === 0) throw new Error(failure);
  return out;
}

/** 404 (no messages) and 408 (request expired) end a pull normally; anything else is a failure. */
function statusFailure(msg: Msg): string | undefined {
  const code = msg.headers?.code ?? 0;
  if (code === 404 || code === 408 || code === 0) return undefined;
  return `pull request answered ${code} ${msg.headers?.description ?? ''}`.trim();
}

function toDelivery(msg: Msg): NatsDelivery | undefined {
  const info = parseAckSubject(msg.reply ?? '');
  if (!info) return undefined;
  return {
    ackSubject: msg.reply as string,
    data: msg.data,
    streamSeq: info.streamSeq,
    deliveryCount: info.deliveryCount,
    storedAt: info.storedAt,
  };
}

/** Sends an ack-protocol payload and waits for the server to confirm it. */
export async function sendAck(
  nc: NatsConnection,
  ackSubject: string,
  payload: string,
  timeoutMs = 5_000,
): Promise<void> {
  await nc.request(ackSubject, payload, { timeout: timeoutMs });
}
