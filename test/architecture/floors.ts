import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import ts from 'typescript';

/** Which floor each library stands on, as README's Layout declares it. */
export type Floors = Map<string, number>;

export interface ImportEdge {
  /** The importing file, relative to the project. */
  file: string;
  from: string;
  to: string;
}

const TEST_FILE = /\.(spec|e2e-spec|fault-spec|browser-spec)\.ts$/;

/** The floors table between `<!-- floors:start -->` and `<!-- floors:end -->`: `| floor | libraries |` rows. */
export function readFloors(readme: string): Floors {
  const block = /<!-- floors:start -->([\s\S]*?)<!-- floors:end -->/.exec(readme)?.[1];
  if (!block) throw new Error('README.md has no <!-- floors:start --> … <!-- floors:end --> table');
  const floors: Floors = new Map();
  for (const row of block.split('\n')) {
    const cells = row.split('|').map((cell) => cell.trim());
    const floor = Number(cells[1]);
    if (!Number.isInteger(floor)) continue;
    for (const lib of cells[2].matchAll(/`([\w-]+)`/g)) floors.set(lib[1], floor);
  }
  return floors;
}

/**
 * Every module a source file names, read by TypeScript's own scanner: `import … from`, side-effect
 * `import 'x'`, `export … from`, `import type`, dynamic `import()` and `require()`.
 */
export function specifiersOf(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((file) => file.fileName);
}

/** Every import statement's specifier in the source files under `dir` (tests excluded). */
export function importsUnder(root: string, dir: string): Array<{ file: string; specifier: string }> {
  const found: Array<{ file: string; specifier: string }> = [];
  const visit = (path: string): void => {
    for (const name of readdirSync(path)) {
      const full = join(path, name);
      if (statSync(full).isDirectory()) {
        if (name !== 'node_modules' && name !== 'dist' && name !== 'test') visit(full);
      } else if (name.endsWith('.ts') && !TEST_FILE.test(name)) {
        for (const specifier of specifiersOf(readFileSync(full, 'utf8'))) found.push({ file: relative(root, full), specifier });
      }
    }
  };
  visit(join(root, dir));
  return found;
}

/** Imports from one library to another: `@gad/<name>` (or a path inside it), or a relative path into its folder. */
export function libraryEdges(root: string, libraries: string[]): ImportEdge[] {
  return libraries.flatMap((from) =>
    importsUnder(root, join('libs', from))
      .map(({ file, specifier }) => ({ file, from, to: libraryOf(file, specifier) }))
      .filter((edge) => edge.to !== '' && edge.to !== from),
  );
}

/** The library an import in `file` reaches, or '' for a package or a file of no library. */
export function libraryOf(file: string, specifier: string): string {
  const alias = /^@gad\/([\w-]+)(?:\/|$)/.exec(specifier);
  if (alias) return alias[1];
  if (!specifier.startsWith('.')) return '';
  return /^libs\/([\w-]+)\//.exec(normalize(join(dirname(file), specifier)))?.[1] ?? '';
}

/** What breaks the floors: a library importing one on its own floor or above, or one that is not on the table. */
export function floorViolations(edges: ImportEdge[], floors: Floors): string[] {
  const problems = new Set<string>();
  for (const { file, from, to } of edges) {
    const [a, b] = [floors.get(from), floors.get(to)];
    if (a === undefined) problems.add(`${from} is on no floor of README's table`);
    else if (b === undefined) problems.add(`${to} is on no floor of README's table`);
    else if (b >= a)
      problems.add(`${file}: ${from} (floor ${a}) imports ${to} (floor ${b}); a library may import only lower floors`);
  }
  return [...problems];
}

/** Libraries that import each other, directly or around a loop: one line per cycle. */
export function cycles(edges: ImportEdge[]): string[] {
  const next = new Map<string, Set<string>>();
  for (const { from, to } of edges) next.set(from, (next.get(from) ?? new Set()).add(to));
  const found = new Set<string>();
  const path: string[] = [];
  const done = new Set<string>();
  const visit = (lib: string): void => {
    const at = path.indexOf(lib);
    if (at >= 0) {
      const loop = path.slice(at);
      const start = loop.indexOf([...loop].sort()[0]);
      found.add([...loop.slice(start), ...loop.slice(0, start), loop[start]].join(' -> '));
      return;
    }
    if (done.has(lib)) return;
    path.push(lib);
    for (const to of next.get(lib) ?? []) visit(to);
    path.pop();
    done.add(lib);
  };
  for (const lib of next.keys()) visit(lib);
  return [...found];
}

/** Imports that reach into another package's build output instead of its public entry points. */
export function deepImports(imports: Array<{ file: string; specifier: string }>): string[] {
  return imports
    .filter(({ specifier }) => !specifier.startsWith('.') && /(^|\/)dist(\/|$)/.test(specifier))
    .map(({ file, specifier }) => `${file}: ${specifier}`);
}
