import { defineBackend } from '../backend.js';
import type { MemoryProjectConfig } from './config.js';

/** In memory, shared by every project of the process (tests, demos, embedding). */
export const memoryBackend = defineBackend<MemoryProjectConfig>({
  name: 'memory',
  async open(project) {
    const { MemoryStore, sharedMemoryBackend } = await import('./store.js');
    return new MemoryStore({ backend: sharedMemoryBackend(), name: `memory:${project}` });
  },
});
