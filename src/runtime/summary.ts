import { formatLocation } from '../model/keys.js';
import type { EventOutcome, RouteResult } from '../router/result.js';
import type { ListProblem } from '../storage/types.js';

export interface DeliveryLine {
  source: string;
  route: string;
  destination: string;
  state: string;
  action: string;
  error?: { code: string; message: string };
}

/**
 * Counts files, not deliveries: a file with several deliveries counts once.
 * `failed` holds every file not routed for now (retrying, in flight elsewhere,
 * or dead); `dead` is the part of it that will not be retried.
 */
export interface OutcomeCounts {
  routed: number;
  unrouted: number;
  failed: number;
  dead: number;
  /** Already done, ignored, or gone: nothing to do. */
  skipped: number;
  /** Members of groups (`complete_when`) waiting for their marker: recorded, terminal, not a failure. */
  waiting: number;
  outcomes: Partial<Record<EventOutcome, number>>;
}

export interface RunSummary extends OutcomeCounts {
  deliveries: DeliveryLine[];
  unroutedFiles: string[];
  errors: Array<{ source: string; code: string; message: string }>;
}

export interface SummaryOptions {
  /**
   * Keep a line per delivery and the name of every unrouted file (default
   * true); without them the summary holds counts, errors and the lines of
   * deliveries that failed only, whatever the number of files.
   */
  details?: boolean;
  /**
   * Each delivery's line, handed over as the results are folded (in their
   * order) instead of kept in `deliveries`: a caller that writes them out as
   * they come (`scan --json`) holds none of them.
   */
  onDelivery?: (line: DeliveryLine) => void;
}

/** Folds route results into a RunSummary one at a time, so a long run need not keep them all. */
export class SummaryBuilder {
  private readonly details: boolean;
  private readonly onDelivery: ((line: DeliveryLine) => void) | undefined;

  constructor(options: SummaryOptions = {}) {
    this.details = options.details !== false;
    this.onDelivery = options.onDelivery;
  }

  readonly summary: RunSummary = {
    routed: 0,
    unrouted: 0,
    failed: 0,
    dead: 0,
    skipped: 0,
    waiting: 0,
    outcomes: {},
    deliveries: [],
    unroutedFiles: [],
    errors: [],
  };

  /**
   * A file the listing met but could not offer (ListProblem): an entry of
   * `errors`; a file whose name is not UTF-8 also counts as unrouted.
   */
  addProblem(source: string, problem: Pick<ListProblem, 'code' | 'message' | 'generation'>): void {
    const summary = this.summary;
    summary.errors.push({ source, code: problem.code, message: problem.message });
    if (problem.code === 'E_KEY_ENCODING' && problem.generation !== undefined) {
      summary.unrouted++;
      if (this.details) summary.unroutedFiles.push(source);
    }
  }

  add(r: RouteResult): void {
    const summary = this.summary;
    summary.outcomes[r.outcome] = (summary.outcomes[r.outcome] ?? 0) + 1;
    const source = r.source
      ? formatLocation(r.source)
      : `${r.event.project ?? '?'}/${r.event.bucket}/${r.event.key}`;
    switch (r.outcome) {
      case 'routed':
        summary.routed++;
        break;
      case 'unrouted':
        summary.unrouted++;
        if (this.details) summary.unroutedFiles.push(source);
        break;
      case 'dead':
        summary.dead++;
        summary.failed++;
        break;
      case 'failed':
      case 'in-flight':
        summary.failed++;
        break;
      case 'waiting':
        summary.waiting++;
        break;
      default:
        summary.skipped++;
    }
    if (r.error) summary.errors.push({ source, ...r.error });
    for (const d of r.deliveries) {
      if (!this.details && !d.error) continue;
      const line: DeliveryLine = {
        source,
        route: d.routeId,
        destination: d.destination,
        state: d.state,
        action: d.action,
        ...(d.error ? { error: d.error } : {}),
      };
      if (this.onDelivery) this.onDelivery(line);
      else summary.deliveries.push(line);
    }
  }
}
