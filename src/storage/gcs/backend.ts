import { defineBackend } from '../backend.js';
import type { GcsProjectConfig } from './config.js';

/** Google Cloud Storage, by the official SDK (imported on first use). */
export const gcsBackend = defineBackend<GcsProjectConfig>({
  name: 'gcs',
  async open(project, config, { env }) {
    const { createGcsStore } = await import('./store.js');
    return createGcsStore(project, config, env);
  },
});
