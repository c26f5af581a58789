// The house's floors, bottom first. A module may import from its own floor
// and the floors below it, never from a floor above; no import cycles at all.
// docs/DESIGN.md explains what each floor holds.
const FLOORS = [
  ['model'],
  ['util'],
  ['storage'],
  ['config'],
  ['referential', 'ledger'],
  ['queue', 'notifications', 'signals'],
  ['router'],
  ['observability'],
  ['intake'],
  ['runtime'],
  ['drains'],
  ['triggers'],
  ['modes', 'cli'],
  ['index.ts'],
];

const folder = (name) => (name.endsWith('.ts') ? `^src/${name.replace('.', '\\.')}$` : `^src/${name}/`);

const upward = FLOORS.slice(0, -1).flatMap((floor, level) =>
  floor.map((name) => ({
    name: `no-upward-from-${name.replace('.ts', '')}`,
    comment: `src/${name} sits on floor ${level}: it may import floors 0–${level} only`,
    severity: 'error',
    from: { path: folder(name) },
    to: {
      path: FLOORS.slice(level + 1)
        .flat()
        .map(folder),
    },
  })),
);

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import cycle ties modules that should read one way',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'src-is-whole',
      comment: 'Every file in src/ belongs to a floor',
      severity: 'error',
      from: { path: '^src/', pathNot: FLOORS.flat().map(folder) },
      to: {},
    },
    {
      name: 'src-never-imports-tests',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    ...upward,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
