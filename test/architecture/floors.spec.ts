import { readFileSync, readdirSync } from 'node:fs';
import {
  cycles,
  deepImports,
  floorViolations,
  importsUnder,
  libraryEdges,
  libraryOf,
  readFloors,
  specifiersOf,
  type ImportEdge,
} from './floors.js';

const root = process.cwd();
const libraries = readdirSync('libs');
const floors = readFloors(readFileSync('README.md', 'utf8'));

describe('the libraries stand on floors', () => {
  it('puts every library on exactly one floor of README.md', () => {
    expect([...floors.keys()].sort()).toEqual([...libraries].sort());
  });

  it('has no import from a library to one on its own floor or above', () => {
    expect(floorViolations(libraryEdges(root, libraries), floors)).toEqual([]);
  });

  it('has no import cycle between libraries', () => {
    expect(cycles(libraryEdges(root, libraries))).toEqual([]);
  });

  it("imports no package's dist/ internals", () => {
    expect(deepImports([...importsUnder(root, 'libs'), ...importsUnder(root, 'apps')])).toEqual([]);
  });

  it('is named, each library at its own index, by tsconfig.json (the @gad/ aliases) and nest-cli.json', () => {
    const paths: Record<string, string[]> = JSON.parse(readFileSync('tsconfig.json', 'utf8')).compilerOptions.paths;
    expect(paths).toEqual(Object.fromEntries(libraries.map((name) => [`@gad/${name}`, [`./libs/${name}/src/index.ts`]])));
    const projects: Record<string, { type: string; sourceRoot: string }> = JSON.parse(
      readFileSync('nest-cli.json', 'utf8'),
    ).projects;
    const nestLibraries = Object.entries(projects).filter(([, project]) => project.type === 'library');
    expect(Object.fromEntries(nestLibraries.map(([name, project]) => [name, project.sourceRoot]))).toEqual(
      Object.fromEntries(libraries.map((name) => [name, `libs/${name}/src`])),
    );
  });
});

describe('the floor checks catch what they must', () => {
  const planted: ImportEdge[] = [
    { file: 'libs/a/src/x.ts', from: 'a', to: 'b' },
    { file: 'libs/b/src/y.ts', from: 'b', to: 'c' },
    { file: 'libs/c/src/z.ts', from: 'c', to: 'a' },
  ];

  it('finds a planted cycle', () => {
    expect(cycles(planted)).toEqual(['a -> b -> c -> a']);
  });

  it('finds an import that runs up or sideways', () => {
    const table = new Map([
      ['a', 3],
      ['b', 2],
      ['c', 1],
    ]);
    expect(floorViolations(planted, table)).toEqual([
      'libs/c/src/z.ts: c (floor 1) imports a (floor 3); a library may import only lower floors',
    ]);
    expect(
      floorViolations(
        [{ file: 'libs/b/src/y.ts', from: 'b', to: 'd' }],
        new Map([
          ['b', 2],
          ['d', 2],
        ]),
      ),
    ).toHaveLength(1);
  });

  it('sees every way a file can name another module', () => {
    const source = [
      "import { Role } from '@gad/users';",
      "import '@gad/cache';",
      "import type { X } from '@gad/audit';",
      "export * from '@gad/ai';",
      "export { Y } from '@gad/auth';",
      "const lazy = () => import('@gad/realtime');",
      "const old = require('@gad/limits');",
      "// import { Z } from '@gad/health'; (a comment names nothing)",
    ].join('\n');
    expect(specifiersOf(source).sort()).toEqual(
      ['@gad/ai', '@gad/audit', '@gad/auth', '@gad/cache', '@gad/limits', '@gad/realtime', '@gad/users'].sort(),
    );
  });

  it('maps an import to the library it reaches, by alias, by a path inside it or by a relative path', () => {
    expect(libraryOf('libs/access/src/roles.ts', '@gad/users')).toBe('users');
    expect(libraryOf('libs/access/src/roles.ts', '@gad/users/src/user.entity.js')).toBe('users');
    expect(libraryOf('libs/access/src/roles.ts', '../../users/src/user.entity.js')).toBe('users');
    expect(libraryOf('libs/access/src/roles.ts', './public.decorator.js')).toBe('access');
    expect(libraryOf('libs/access/src/roles.ts', '@nestjs/common')).toBe('');
  });

  it('finds a deep import', () => {
    expect(deepImports([{ file: 'libs/a/src/x.ts', specifier: '@nestjs/throttler/dist/throttler.constants.js' }])).toEqual([
      'libs/a/src/x.ts: @nestjs/throttler/dist/throttler.constants.js',
    ]);
    expect(deepImports([{ file: 'libs/a/src/x.ts', specifier: './dist-helpers.js' }])).toEqual([]);
  });
});
