import { Command } from 'commander';
import { UsageError } from '../model/errors.js';
import { openLedger } from '../ledger/url.js';
import type { LedgerStore } from '../ledger/types.js';
import {
  listDeadLetters,
  retryDeadLetters,
  type DeadLetterListing,
  type DeadLetterRetry,
} from '../drains/batch-dead-letters.js';
import { openConfiguredQueue } from '../queue/url.js';
import type { Queue } from '../queue/types.js';
import {
  configFrom,
  positiveInt,
  printJson,
  withCommonOptions,
  type CommonOptionValues,
  type Io,
} from './common.js';
import { formatTable } from './table.js';

interface ListOptions extends CommonOptionValues {
  limit: number;
}

interface RetryOptions extends CommonOptionValues {
  all?: boolean;
}

/**
 * `switchyard dead-letters list | retry ID... | retry --all | purge`: the
 * queue's dead letters and the ledger's dead deliveries, with their reasons.
 */
export function deadLettersCommand(io: Io, setExit: (code: number) => void): Command {
  return new Command('dead-letters')
    .description('list, retry or purge dead letters (queue messages and dead deliveries)')
    .addCommand(listCommand(io, setExit))
    .addCommand(retryCommand(io, setExit))
    .addCommand(purgeCommand(io, setExit));
}

/** A subcommand with the common options, writing to `io` and throwing instead of exiting. */
function subcommand(io: Io, name: string, description: string): Command {
  return withCommonOptions(new Command(name).description(description), { queue: true, concurrency: false })
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
}

function listCommand(io: Io, setExit: (code: number) => void): Command {
  return subcommand(io, 'list', 'list dead letters (queue messages and dead deliveries) with their reasons')
    .option('--limit <n>', 'at most this many of each kind', positiveInt, 100)
    .action(async (options: ListOptions) => {
      await withBackends(io, options, async (queue, store) => {
        const listing = await listDeadLetters(queue, store.reports, options.limit);
        if (options.json) printJson(io, listing);
        else printListing(io, listing);
        if (listing.queueUnavailable && !options.json) io.stderr.write(`note: ${listing.queueUnavailable}\n`);
      });
      setExit(0);
    });
}

function printListing(io: Io, listing: DeadLetterListing): void {
  if (listing.entries.length === 0) {
    io.stdout.write('no dead letters\n');
    return;
  }
  const rows = listing.entries.map((e) => [
    e.kind,
    e.id,
    e.source,
    e.destination ?? '',
    String(e.attempts),
    new Date(e.deadAt).toISOString(),
    e.reason.replace(/\s+/g, ' '),
  ]);
  io.stdout.write(
    `${formatTable(['kind', 'id', 'source', 'destination', 'attempts', 'dead at', 'reason'], rows)}\n`,
  );
}

function retryCommand(io: Io, setExit: (code: number) => void): Command {
  return subcommand(
    io,
    'retry',
    'route dead letters again: the given ids (queue message or delivery ids), or --all',
  )
    .argument('[ids...]', 'ids from `dead-letters list`')
    .option('--all', 'retry every dead letter of the queue and every dead delivery of the ledger')
    .action(async (ids: string[], options: RetryOptions) => {
      const targets = retryTargets(ids, options);
      await withBackends(io, options, async (queue, store) => {
        const result = await retryDeadLetters(queue, store, targets);
        if (options.json) printJson(io, result);
        else printRetried(io, result);
      });
      setExit(0);
    });
}

/** The ids to retry, or undefined for --all; exactly one of the two must be given. */
function retryTargets(ids: string[], options: RetryOptions): string[] | undefined {
  if (!options.all && ids.length === 0)
    throw new UsageError('dead-letters retry: give ids from `dead-letters list`, or --all');
  if (options.all && ids.length > 0) throw new UsageError('dead-letters retry: give ids or --all, not both');
  return options.all ? undefined : ids;
}

function printRetried(io: Io, result: DeadLetterRetry): void {
  io.stdout.write(
    `queue dead letters put back: ${result.queue}; deliveries made due again: ${result.ledger} ` +
      `(${result.republished} source(s) queued to be routed again)\n`,
  );
  if (result.queueUnavailable) io.stderr.write(`note: ${result.queueUnavailable}\n`);
  io.stdout.write('run `switchyard batch` (or wait for the scheduled drain) to route them\n');
}

function purgeCommand(io: Io, setExit: (code: number) => void): Command {
  return subcommand(
    io,
    'purge',
    "delete the queue's dead letters for good (dead deliveries stay in the ledger as audit)",
  ).action(async (options: CommonOptionValues) => {
    await withBackends(io, options, async (queue) => {
      const purged = await queue.purgeDeadLetters();
      if (options.json) printJson(io, { purged });
      else io.stdout.write(`purged ${purged} dead letter(s) from ${queue.name}\n`);
    });
    setExit(0);
  });
}

async function withBackends(
  io: Io,
  options: CommonOptionValues,
  work: (queue: Queue, store: LedgerStore) => Promise<void>,
): Promise<void> {
  const config = await configFrom(options, io, { localRoots: false });
  const store = await openLedger(config.ledgerUrl, { stateDir: config.stateDir });
  try {
    const queue = await openConfiguredQueue(config);
    try {
      await work(queue, store);
    } finally {
      await queue.close();
    }
  } finally {
    await store.close();
  }
}
