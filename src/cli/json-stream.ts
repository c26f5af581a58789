import type { Io } from './common.js';

/** Text written to standard output at once, at most. */
const FLUSH_CHARS = 64 * 1024;

/**
 * One JSON object on standard output, as `printJson` prints it, whose `key`
 * array is written as its items come (a scan's delivery lines) rather than
 * held until the end: a run over a million files keeps none of them. That
 * array comes first; `end` writes the other fields once the run is over.
 * The text is what JSON.stringify(object, null, 2) makes of the same object
 * with that key first.
 */
export class StreamedJson {
  private started = false;
  private ended = false;
  private pending = '';

  constructor(
    private readonly io: Io,
    private readonly key: string,
  ) {}

  /** Whether any text was written: from then on only `end` makes the output whole. */
  get begun(): boolean {
    return this.started;
  }

  /** One item of the streamed array. */
  item(value: unknown): void {
    const text = indent(JSON.stringify(value, null, 2), '    ');
    this.pending += this.started ? `,\n${text}` : `${this.opening()}[\n${text}`;
    this.started = true;
    if (this.pending.length >= FLUSH_CHARS) this.flush();
  }

  /** Closes the array and writes `rest`'s fields after it (an object with at least one field). */
  end(rest: Record<string, unknown>): void {
    if (this.ended) return;
    this.ended = true;
    const fields = JSON.stringify(rest, null, 2).slice(1);
    const array = this.started ? '\n  ]' : `${this.opening()}[]`;
    this.pending += `${array}${fields === '}' ? '\n}' : `,${fields}`}\n`;
    this.flush();
  }

  private opening(): string {
    return `{\n  ${JSON.stringify(this.key)}: `;
  }

  private flush(): void {
    if (this.pending) this.io.stdout.write(this.pending);
    this.pending = '';
  }
}

function indent(text: string, by: string): string {
  return by + text.replaceAll('\n', `\n${by}`);
}
