import path from 'node:path';
import { defineBackend } from '../backend.js';
import type { FsProjectConfig } from './config.js';

/** Local folders: `<root>/<project>/<bucket>/<key>`. */
export const fsBackend = defineBackend<FsProjectConfig>({
  name: 'fs',
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
