import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Shell lines of the fenced code blocks of a Markdown file. */
function shellLines(markdown: string): string[] {
  const blocks = markdown.match(/^```(?:sh|bash|shell)?\n[\s\S]*?^```$/gm) ?? [];
  return blocks.flatMap((b) => b.split('\n').slice(1, -1));
}

/** A command that removes, moves over or recreates `deploy/` (the Terraform modules and the systemd unit). */
const CLOBBERS_DEPLOY =
  /\b(rm\s+(-\w+\s+)*|mv\s+(-\w+\s+)*\S+\s+|mkdir\s+(-\w+\s+)*)(\.\/)?deploy\/?(\s|&|;|$)/;

describe('README recipes', () => {
  const docs = [
    'README.md',
    ...readdirSync(path.join(ROOT, 'docs'), { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.md'))
      .map((f) => path.join('docs', f)),
    'deploy/README.md',
  ];

  it.each(docs)('%s: no recipe removes or recreates deploy/', (file) => {
    const lines = shellLines(readFileSync(path.join(ROOT, file), 'utf8'));
    expect(lines.filter((line) => CLOBBERS_DEPLOY.test(line))).toEqual([]);
  });

  it('recognises the recipe that used to stage into deploy/', () => {
    const old = 'rm -rf deploy && mkdir deploy && cp -r dist package.json deploy/';
    expect(shellLines(`\`\`\`sh\n${old}\n\`\`\`\n`).filter((l) => CLOBBERS_DEPLOY.test(l))).toEqual([old]);
    expect(CLOBBERS_DEPLOY.test('rm -rf build/function && mkdir -p build/function')).toBe(false);
  });
});
