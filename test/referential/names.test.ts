// destination_name and timezone: the name template, date placeholders in a
// zone, what validate says of both, and how the self-route, cycle and
// same-key checks read a row that renames.
import { describe, expect, it } from 'vitest';
import { KeyUnsafeError } from '../../src/model/errors.js';
import { destinationKeyOf } from '../../src/referential/destination-key.js';
import { loadReferentialText } from '../../src/referential/load.js';
import { knownTimeZone, dateFields, expandName } from '../../src/referential/template.js';
import { formatProblem, validateRows } from '../../src/referential/validate.js';
import { route } from './helpers.js';

const HEADER =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory';
const created = new Date('2024-02-01T01:30:00Z');

function name(template: string, key = 'in/sale_fr.csv', groups: Record<string, string> = {}): string {
  return expandName(template, { key, created, groups });
}

function check(lines: string[], extra = ''): { errors: string[]; warnings: string[] } {
  const header = extra ? `${HEADER},${extra}` : HEADER;
  const { problems } = validateRows(loadReferentialText([header, ...lines].join('\n'), 'routes.csv'));
  return {
    errors: problems.filter((p) => p.severity === 'error').map(formatProblem),
    warnings: problems.filter((p) => p.severity === 'warning').map(formatProblem),
  };
}

describe('expandName', () => {
  it('expands every placeholder of a directory template into one name', () => {
    expect(name('{stem}_{yyyy}{mm}{dd}.{ext}')).toBe('sale_fr_20240201.csv');
    expect(name('{hh}h-{name}')).toBe('01h-sale_fr.csv');
    expect(name('{country}-{stem}.json', 'in/sale_fr.csv', { country: 'fr' })).toBe('fr-sale_fr.json');
  });

  it('refuses an empty name, . or .., a path separator and a group value leaving its folder', () => {
    expect(() => name('{ext}', 'in/README')).toThrow(KeyUnsafeError);
    expect(() => name('.{ext}', 'in/README')).toThrow(/expected a name/);
    expect(() => name('{g}', 'in/a.csv', { g: '..' })).toThrow(KeyUnsafeError);
    expect(() => name('{path}-{name}', 'in/2024/sale_fr.csv')).toThrow(/path separator/);
    expect(() => name('{g}.csv', 'in/a.csv', { g: 'a/b' })).toThrow(/would leave its folder/);
  });
});

describe('date placeholders in a time zone', () => {
  it('reads UTC by default and the wall clock of the zone when given (DST included)', () => {
    expect(dateFields(created)).toEqual({ yyyy: '2024', mm: '02', dd: '01', hh: '01' });
    expect(dateFields(created, 'America/Sao_Paulo')).toEqual({ yyyy: '2024', mm: '01', dd: '31', hh: '22' });
    const summer = new Date('2024-07-01T22:30:00Z');
    expect(dateFields(summer, 'Europe/Paris')).toEqual({ yyyy: '2024', mm: '07', dd: '02', hh: '00' });
    expect(dateFields(new Date('2024-01-01T22:30:00Z'), 'Europe/Paris').hh).toBe('23');
  });

  it('applies the row zone to both templates', () => {
    const r = route('\\.csv$', {
      destinationDirectory: 'sales/{yyyy}/{mm}',
      destinationName: '{stem}_{dd}{hh}.{ext}',
      timezone: 'America/Sao_Paulo',
    });
    expect(destinationKeyOf(r, 'in/a.csv', created, {})).toEqual({
      directory: 'sales/2024/01',
      name: 'a_3122.csv',
      key: 'sales/2024/01/a_3122.csv',
    });
    const utc = route('\\.csv$', { destinationDirectory: 'sales/{yyyy}/{mm}' });
    expect(destinationKeyOf(utc, 'in/a.csv', created, {}).key).toBe('sales/2024/02/a.csv');
  });

  it('knows IANA names in any case, and no others', () => {
    expect(knownTimeZone('europe/paris')).toBe(true);
    expect(knownTimeZone('UTC')).toBe(true);
    expect(knownTimeZone('Asia/Kolkata')).toBe(true);
    expect(knownTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(knownTimeZone('+25:00')).toBe(false);
  });
});

describe('validate: destination_name and timezone', () => {
  it('builds routes with the name template and the zone as written', () => {
    const { routes, problems } = validateRows(
      loadReferentialText(
        `${HEADER},destination_name,timezone\np,in,\\.csv$,d,out,x/{yyyy},{stem}_{yyyy}{mm}{dd}.{ext},europe/paris\np,in,\\.txt$,d,out,y,,\n`,
        'routes.csv',
      ),
    );
    expect(problems).toEqual([]);
    expect(routes[0]).toMatchObject({
      destinationName: '{stem}_{yyyy}{mm}{dd}.{ext}',
      timezone: 'europe/paris',
    });
    expect(routes[1]).not.toHaveProperty('destinationName');
    expect(routes[1]).not.toHaveProperty('timezone');
  });

  it('a bad timezone is an error naming the row and the value', () => {
    const { errors } = check(['p,in,\\.csv$,d,out,{yyyy},paris-1,Europe/Pariss'], 'route_id,timezone');
    expect(errors).toEqual([
      'routes.csv:2: timezone: row paris-1: invalid timezone "Europe/Pariss": expected an IANA time zone name such as Europe/Paris or UTC',
    ]);
  });

  it('a timezone no template reads is a warning', () => {
    const { errors, warnings } = check(['p,in,\\.csv$,d,out,flat,UTC'], 'timezone');
    expect(errors).toEqual([]);
    expect(warnings.join('\n')).toMatch(/row row-1: timezone UTC is not used/);
  });

  it.each([
    ['{stem}_{when}.{ext}', /unknown placeholder \{when\}/],
    ['{path}_{name}', /\{path\} is a folder/],
    ['x/{name}', /without "\/"/],
    ['{ext}', /can give an empty name/],
    ['.{ext}', /can give the name "\."/],
    ['..{ext}', /can give the name "\.\."/],
    ['{stem', /expected a placeholder/],
  ])('refuses the name template %s', (template, message) => {
    const { errors } = check([`p,in,\\.csv$,d,out,x,${template}`], 'destination_name');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^routes\.csv:2: destination_name: /);
    expect(errors[0]).toMatch(message);
  });

  it('a mask group may be used, but alone it may be empty', () => {
    expect(
      check(['p,in,^(?P<c>[a-z]*)_.*\\.csv$,d,out,x,{c}_{yyyy}.csv'], 'destination_name').errors,
    ).toEqual([]);
    expect(check(['p,in,^(?P<c>[a-z]*)_.*\\.csv$,d,out,x,{c}'], 'destination_name').errors).toHaveLength(1);
  });

  it('a name without placeholder is a warning: every file gets it', () => {
    const { errors, warnings } = check(['p,in,\\.csv$,d,out,x,latest.csv'], 'destination_name');
    expect(errors).toEqual([]);
    expect(warnings.join('\n')).toMatch(/has no placeholder: every file of this row gets the same name/);
  });

  it('a misspelt column is an error, as for the other optional columns', () => {
    expect(check(['p,in,\\.csv$,d,out,x,{name}'], 'destinaton_name').errors.join('\n')).toMatch(
      /looks like a misspelling of "destination_name"/,
    );
  });
});

describe('validate: checks that read the delivered name', () => {
  it('self-route: a name template that gives the name back still delivers onto the source', () => {
    for (const template of ['{name}', '{stem}.{ext}']) {
      const { errors } = check([`p,in,\\.csv$,p,in,,${template}`], 'destination_name');
      expect(errors.join('\n')).toMatch(/E_DESTINATION_IS_SOURCE/);
    }
  });

  it('self-route: a renaming row in its own folder is a warning, not an error', () => {
    const { errors, warnings } = check(['p,in,\\.csv$,p,in,{path},{stem}_{yyyy}.{ext}'], 'destination_name');
    expect(errors).toEqual([]);
    expect(warnings.join('\n')).toMatch(/renames files in their own folder of p\/in/);
  });

  it('cycle: masks with different anchors are no loop, unless the rows rename files into each other', () => {
    const rows = (toB: string, toA: string): string[] => [
      `p,a,^x_.*\\.csv$,p,b,,${toB}`,
      `p,b,^y_.*\\.csv$,p,a,,${toA}`,
    ];
    expect(check(rows('', ''), 'destination_name').errors).toEqual([]);
    // one leg renamed: a file reaching a is named y_…, which no row of a takes
    expect(check(rows('y_{stem}.{ext}', ''), 'destination_name').errors).toEqual([]);
    const both = check(rows('y_{stem}.{ext}', 'x_{stem}.{ext}'), 'destination_name').errors;
    expect(both).toHaveLength(2);
    expect(both.join('\n')).toMatch(
      /E_ROUTING_LOOP: row row-1 is part of the routing cycle p\/a → p\/b → p\/a/,
    );
  });

  it('same key: two rows that rename a common name differently do not meet', () => {
    const rows = (second: string): string[] => ['p,in,\\.csv$,d,out,x,', `p,in,^sale,d,out,x,${second}`];
    expect(check(rows(''), 'destination_name').warnings.join('\n')).toMatch(
      /can write the same key d\/out\/x\/sale/,
    );
    expect(check(rows('{stem}_b.{ext}'), 'destination_name').warnings.join('\n')).not.toMatch(/same key/);
    expect(check(rows('{name}'), 'destination_name').warnings.join('\n')).toMatch(/can write the same key/);
  });

  it('same key: a renamed file landing on a name another row delivers unchanged', () => {
    const { warnings } = check(
      ['p,in,^in_.*\\.csv$,d,out,x,out_{stem}.{ext}', 'p,other,^out_.*\\.csv$,d,out,x,'],
      'destination_name',
    );
    expect(warnings.join('\n')).toMatch(/can write the same key d\/out\/x\/out_in_.*\.csv .*is written as/);
  });
});

describe('README: the destination_name example', () => {
  it('says where its file goes', async () => {
    const { readFile } = await import('node:fs/promises');
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const csv = readme.match(/```csv\n(source_project[^\n]*destination_name[\s\S]*?)```/)?.[1];
    expect(csv).toBeDefined();
    const { routes, problems } = validateRows(loadReferentialText(csv!, 'README.csv'));
    expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
    const groups = { country: 'fr' };
    const at = new Date('2024-06-30T23:30:00Z');
    expect(destinationKeyOf(routes[0]!, 'sale_fr_0001.csv', at, groups).key).toBe(
      'fr/2024/sale_fr_0001_20240701.csv',
    );
    expect(readme).toContain('`sales/raw/fr/2024/sale_fr_0001_20240701.csv`');
  });
});
