import { z } from 'zod';

export const fsProjectSchema = z
  .object({
    backend: z.literal('fs'),
    /** Objects live at `<root>/<project>/<bucket>/<key>`; default: the data root (`data`, `--data`). */
    root: z.string().min(1).optional(),
  })
  .strict();

export type FsProjectConfig = z.infer<typeof fsProjectSchema>;
