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

  it.each(docs)('%s: every runtime a recipe deploys is Node.js 24 (nodejs24, nodejs24.x)', (file) => {
    const text = readFileSync(path.join(ROOT, file), 'utf8');
    const lines = shellLines(text).join('\n');
    const runtimes = [...lines.matchAll(/--runtime[= ](\S+)/g)].map((m) => m[1]);
    expect(runtimes.filter((r) => r !== 'nodejs24' && r !== 'nodejs24.x')).toEqual([]);
    expect(text.match(/\bnodejs(1\d|2[0-3])(\.x)?\b/g) ?? []).toEqual([]);
  });

  it('walks Google Cloud and AWS from zero in the README\'s Deploy section', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const deploy = /^## Deploy\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? '';
    const lines = shellLines(deploy);
    expect(lines.filter((l) => l.includes('terraform init && terraform apply'))).toHaveLength(2);
    expect(lines.some((l) => /^gcloud storage cp \S+ gs:\/\//.test(l))).toBe(true);
    expect(lines.some((l) => /^aws s3 cp \S+ s3:\/\//.test(l))).toBe(true);
    for (const module of ['./deploy/terraform/gcp', './deploy/terraform/aws'])
      expect(deploy).toContain(`source              = "${module}"`);
  });

  it('recognises the recipe that used to stage into deploy/', () => {
    const old = 'rm -rf deploy && mkdir deploy && cp -r dist package.json deploy/';
    expect(shellLines(`\`\`\`sh\n${old}\n\`\`\`\n`).filter((l) => CLOBBERS_DEPLOY.test(l))).toEqual([old]);
    expect(CLOBBERS_DEPLOY.test('rm -rf build/function && mkdir -p build/function')).toBe(false);
  });
});
