import { z } from 'zod';
import { defineBackend } from '../backend.js';

export const memoryProjectSchema = z.object({ backend: z.literal('memory') }).strict();

/** In memory, shared by every project of the process (tests, demos, embedding). */
export const memoryBackend = defineBackend({
  name: 'memory',
  schema: memoryProjectSchema,
  async open(project) {
    const { MemoryStore, sharedMemoryBackend } = await import('./store.js');
    return new MemoryStore({ backend: sharedMemoryBackend(), name: `memory:${project}` });
  },
});
