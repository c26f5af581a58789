import { defineBackend } from '../backend.js';
import type { S3ProjectConfig } from './config.js';

/** Amazon S3 and S3-protocol servers, by the official SDK (imported on first use). */
export const s3Backend = defineBackend<S3ProjectConfig>({
  name: 's3',
  async open(project, config, { env }) {
    const { createS3Store } = await import('./store.js');
    return createS3Store(project, config, env);
  },
});
