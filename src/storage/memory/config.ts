import { z } from 'zod';

export const memoryProjectSchema = z.object({ backend: z.literal('memory') }).strict();

export type MemoryProjectConfig = z.infer<typeof memoryProjectSchema>;
