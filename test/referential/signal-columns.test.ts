import { describe, expect, it } from 'vitest';
import { loadReferentialText } from '../../src/referential/load.js';
import { formatProblem, validateRows } from '../../src/referential/validate.js';
import { parseNotifyUrl } from '../../src/referential/notify-url.js';
import { isManifestKey, manifestFileName } from '../../src/referential/manifest-name.js';
import { Workspace } from '../helpers/workspace.js';

const HEADER =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,route_id,write_manifest,notify';

function check(line: string) {
  const { routes, problems } = validateRows(loadReferentialText(`${HEADER}\n${line}\n`, 'routes.csv'));
  return { routes, errors: problems.filter((p) => p.severity === 'error').map(formatProblem) };
}

describe('write_manifest and notify columns', () => {
  it('reads write_manifest true/false (any case, empty: false) and a notify URL of each scheme', () => {
    const urls = [
      'https://loads.example.com/hooks/sales',
      'sqs://sqs.eu-west-1.amazonaws.com/123456789012/loads',
      'sqs://127.0.0.1:9324/000000000000/loads?endpoint=http://127.0.0.1:9324&region=us-east-1',
      'pubsub://projects/acme/topics/loads',
      'pubsub://projects/acme/topics/loads?emulator=127.0.0.1:8085',
      'nats://127.0.0.1:4222/loads.sales',
      'nats://u:p@nats.internal/loads?token=t',
    ];
    for (const url of urls) {
      const { routes, errors } = check(`p,in,^a,d,out,,r,TRUE,${url}`);
      expect(errors, url).toEqual([]);
      expect(routes[0]).toMatchObject({ writeManifest: true, notify: url });
    }
    const plain = check('p,in,^a,d,out,,r,,').routes[0]!;
    expect(plain.writeManifest).toBeUndefined();
    expect(plain.notify).toBeUndefined();
    expect(check('p,in,^a,d,out,,r,false,').routes[0]!.writeManifest).toBeUndefined();
  });

  it('refuses a write_manifest other than true or false, naming the row and the value', () => {
    for (const value of ['yes', '1', 'maybe']) {
      const { routes, errors } = check(`p,in,^a,d,out,,daily,${value},`);
      expect(routes).toEqual([]);
      expect(errors).toEqual([
        expect.stringContaining(`row daily: invalid write_manifest "${value}": expected true or false`),
      ]);
      expect(errors[0]).toContain('routes.csv:2');
    }
  });

  it('refuses a notify that is not a URL of the four schemes, naming the row and the value', () => {
    const cases: Array<[string, string]> = [
      ['http://loads.example.com/x', 'expected a URL starting with https://, sqs://, pubsub://, nats://'],
      ['loads.example.com', 'expected a URL starting with'],
      ['pubsub://projects/acme/subscriptions/s', 'expected pubsub://projects/PROJECT/topics/TOPIC'],
      ['pubsub://projects/acme/topics/t?topic=x', 'unknown option "topic"'],
      ['sqs://127.0.0.1:9324/loads', 'expected sqs://HOST[:PORT]/ACCOUNT/QUEUE'],
      ['nats://127.0.0.1:4222/loads.*', 'expected nats://HOST[:PORT]/SUBJECT'],
      ['nats://127.0.0.1:4222', 'expected nats://HOST[:PORT]/SUBJECT'],
    ];
    for (const [value, expected] of cases) {
      const { routes, errors } = check(`p,in,^a,d,out,,to-lake,,${value}`);
      expect(routes, value).toEqual([]);
      expect(errors, value).toHaveLength(1);
      expect(errors[0]).toContain(`row to-lake: invalid notify "${value}"`);
      expect(errors[0]).toContain(expected);
    }
  });

  it('hides a password or token of a refused notify URL', () => {
    const { errors } = check('p,in,^a,d,out,,r,,nats://u:secret@h/bad.*?token=tok');
    expect(errors[0]).toContain('nats://u:***@h/bad.*?token=***');
    expect(errors[0]).not.toContain('secret');
  });

  it('parses each scheme into its target', () => {
    expect(parseNotifyUrl('nats://u:p@h:4223/a.b?token=t')).toEqual({
      scheme: 'nats',
      servers: 'h:4223',
      subject: 'a.b',
      user: 'u',
      pass: 'p',
      token: 't',
    });
    expect(parseNotifyUrl('pubsub://projects/p/topics/t?emulator=http://127.0.0.1:8085/')).toEqual({
      scheme: 'pubsub',
      project: 'p',
      topic: 'projects/p/topics/t',
      emulator: '127.0.0.1:8085',
    });
    expect(() => parseNotifyUrl('ftp://x/y')).toThrow(expect.objectContaining({ code: 'E_NOTIFY_URL' }));
  });

  it('names manifests by drain or group id and knows their shape', () => {
    expect(manifestFileName('drain-20261206T051500Z-a1b2c3')).toBe(
      '_MANIFEST-drain-20261206T051500Z-a1b2c3.json',
    );
    for (const id of ['', '.hidden', 'a/b', 'a b', '-x'])
      expect(() => manifestFileName(id), id).toThrow(expect.objectContaining({ code: 'E_MANIFEST_ID' }));
    expect(isManifestKey('sales/fr/_MANIFEST-g1.json')).toBe(true);
    expect(isManifestKey('_MANIFEST-g1.json')).toBe(true);
    expect(isManifestKey('sales/_MANIFEST-g1.json.bak')).toBe(false);
    expect(isManifestKey('sales/x_MANIFEST-g1.json')).toBe(false);
  });

  it('switchyard validate --json names the row, the column and the value of each refusal', async () => {
    const ws = await Workspace.create(
      `${HEADER}\np,in,^a,d,out,,daily,sometimes,\np,in,^b,d,out,,hourly,true,ftp://example.com/x\np,in,^c,d,out,,ok,true,https://example.com/x\n`,
    );
    try {
      const run = await ws.run('validate', '--json');
      expect(run.code).toBe(1);
      const report = run.json<{ errors: Array<{ line: number; column: string; message: string }> }>();
      const mine = report.errors.filter((e) => e.column === 'write_manifest' || e.column === 'notify');
      expect(mine).toEqual([
        expect.objectContaining({
          line: 2,
          column: 'write_manifest',
          message: expect.stringContaining('row daily: invalid write_manifest "sometimes"'),
        }),
        expect.objectContaining({
          line: 3,
          column: 'notify',
          message: expect.stringContaining('row hourly: invalid notify "ftp://example.com/x"'),
        }),
      ]);
    } finally {
      await ws.remove();
    }
  });
});
