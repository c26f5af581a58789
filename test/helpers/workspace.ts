import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';

/** The seed's referential (masks escaped as validate recommends). */
export const SEED_CSV = `source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory
source_bucket,raw_data,finance.*\\.csv,finance,raw_data,
source_bucket,raw_data,sale.*\\.csv,sales,raw_data,
`;

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  json<T = Record<string, unknown>>(): T;
}

/** A temp working directory with a data root (created empty), a state folder and helpers to run the CLI in it. */
export class Workspace {
  /** Extra environment for `run` (e.g. the credential env vars a switchyard.yaml names); PATH is always passed. */
  env: Record<string, string> = {};

  private constructor(readonly dir: string) {}

  static async create(routes: string = SEED_CSV, routesFile = 'routes.csv'): Promise<Workspace> {
    const dir = await mkdtemp(path.join(tmpdir(), 'switchyard-ws-'));
    const ws = new Workspace(dir);
    await writeFile(path.join(dir, routesFile), routes);
    await mkdir(ws.data);
    return ws;
  }

  get data(): string {
    return path.join(this.dir, 'data');
  }

  file(location: string): string {
    return path.join(this.data, ...location.split('/'));
  }

  async put(location: string, content: string | Buffer): Promise<string> {
    const file = this.file(location);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
    return file;
  }

  async read(location: string): Promise<Buffer> {
    return readFile(this.file(location));
  }

  async exists(location: string): Promise<boolean> {
    return stat(this.file(location)).then(
      () => true,
      () => false,
    );
  }

  /** Every file under the data root, as PROJECT/BUCKET/KEY, sorted. */
  async files(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string, prefix: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const rel = prefix ? `${prefix}/${e.name}` : e.name;
        if (e.isDirectory()) await walk(path.join(dir, e.name), rel);
        else out.push(rel);
      }
    };
    await walk(this.data, '');
    return out.sort();
  }

  async run(...args: string[]): Promise<CliRun> {
    let stdout = '';
    let stderr = '';
    const sink = (append: (s: string) => void) =>
      new Writable({
        write(chunk, _enc, cb) {
          append(String(chunk));
          cb();
        },
      });
    const code = await main(['node', 'switchyard', ...args], {
      stdout: sink((s) => (stdout += s)),
      stderr: sink((s) => (stderr += s)),
      env: { PATH: process.env.PATH, ...this.env },
      cwd: this.dir,
    });
    return {
      code,
      stdout,
      stderr,
      json<T>() {
        try {
          return JSON.parse(stdout) as T;
        } catch {
          throw new Error(`stdout is not JSON (exit ${code}):\n${stdout}\nstderr:\n${stderr}`);
        }
      },
    };
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
