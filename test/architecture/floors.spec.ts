import { readFileSync, readdirSync } from 'node:fs';
import { cycles, deepImports, floorViolations, importsUnder, libraryEdges, readFloors, type ImportEdge } from './floors.js';

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

  it('finds a deep import', () => {
    expect(deepImports([{ file: 'libs/a/src/x.ts', specifier: '@nestjs/throttler/dist/throttler.constants.js' }])).toEqual([
      'libs/a/src/x.ts: @nestjs/throttler/dist/throttler.constants.js',
    ]);
    expect(deepImports([{ file: 'libs/a/src/x.ts', specifier: './dist-helpers.js' }])).toEqual([]);
  });
});
