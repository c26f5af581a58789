// Start-up of a one-shot command: `switchyard scan` of an empty tree, median of
// N runs, against the median of `node -e 0` run interleaved with it in the same
// run (bench/lib/startup.mjs). Target (DESIGN.md, "Performance targets"):
// ≤ node -e 0 + 50 ms, for a first run (the ledger created) and a later one;
// the same scan without the bin's V8 code cache is reported beside them.
import { startUpRuns } from './lib/startup.mjs';
import { median, row, runDirectly } from './lib/common.mjs';

/** What switchyard may add to Node's own start-up. */
const BUDGET_MS = 50;

export async function run({ quick = false } = {}) {
  const rounds = quick ? 11 : 31;
  const runs = await startUpRuns(rounds);
  const nodeMs = median(runs.node);
  const target = `≤ node -e 0 + ${BUDGET_MS} ms`;
  const figure = (name, times, withTarget = true) => {
    const ms = median(times);
    return row(`start-up: scan of an empty tree, ${name} (median of ${rounds})`, ms / 1000, 's', {
      reference: `node -e 0 (median of ${rounds}, interleaved)`,
      referenceValue: nodeMs / 1000,
      target: withTarget ? target : null,
      holds: withTarget ? ms <= nodeMs + BUDGET_MS : null,
      lowerIsBetter: true,
    });
  };
  return [
    figure('first run (creates the ledger)', runs.fresh),
    figure('ledger present', runs.again),
    // the first run after an install or upgrade: no V8 code cache yet (reported, no target)
    figure('ledger present, no code cache', runs.uncached, false),
    // a deployment's every run: the configuration read and checked (zod, yaml; reported, no target)
    figure('ledger present, with a switchyard.yaml', runs.configured, false),
  ];
}

await runDirectly(import.meta.url, run);
