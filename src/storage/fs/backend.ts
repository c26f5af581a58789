import path from 'node:path';
import { z } from 'zod';
import { defineBackend } from '../backend.js';

export const fsProjectSchema = z
  .object({
    backend: z.literal('fs'),
    /** Objects live at `<root>/<project>/<bucket>/<key>`; default: the data root (`data`, `--data`). */
    root: z.string().min(1).optional(),
  })
  .strict();

export type FsProjectConfig = z.infer<typeof fsProjectSchema>;

/** Local folders: `<root>/<project>/<bucket>/<key>`. */
export const fsBackend = defineBackend({
  name: 'fs',
  schema: fsProjectSchema,
  localRoot: (config, dataRoot) => config.root ?? dataRoot,
  resolvePaths: (config, base, dataRoot) => ({
    ...config,
    root: config.root === undefined ? dataRoot : path.resolve(base, config.root),
  }),
  async open(project, config, { dataRoot }) {
    const { FsStore } = await import('./store.js');
    return new FsStore({ root: path.resolve(config.root ?? dataRoot, project), name: `fs:${project}` });
  },
});
