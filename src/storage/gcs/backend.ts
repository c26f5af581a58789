import { defineBackend } from '../backend.js';
import { gcsProjectSchema } from './config.js';

/** Google Cloud Storage, by the official SDK (imported on first use). */
export const gcsBackend = defineBackend({
  name: 'gcs',
  schema: gcsProjectSchema,
  async open(project, config, { env }) {
    const { createGcsStore } = await import('./store.js');
    return createGcsStore(project, config, env);
  },
});
