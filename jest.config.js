// ESM Jest: NestJS 12 ships ESM only, so tests run under node --experimental-vm-modules.
import { readdirSync } from 'node:fs';

// @gad/<lib> is libs/<lib>/src (as tsconfig.json's paths say)
const aliases = Object.fromEntries(readdirSync('libs').map((name) => [`^@gad/${name}$`, `<rootDir>/libs/${name}/src/index.ts`]));

export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  rootDir: '.',
  testMatch: [
    '<rootDir>/{apps,libs,test}/**/*.spec.ts',
    '<rootDir>/{apps,libs,test}/**/*.e2e-spec.ts',
    '<rootDir>/apps/**/*.browser-spec.ts',
  ],
  moduleNameMapper: {
    ...aliases,
    // see test/jest/nestjs-throttler.bridge.js
    '^@nestjs/throttler$': '<rootDir>/test/jest/nestjs-throttler.bridge.js',
    // @fastify/static require()s content-disposition 3 (ESM only); under Jest it gets the CommonJS 2.x
    // copy, which exports the same create()/parse(). The built app loads the real one.
    '^content-disposition$': '<rootDir>/node_modules/content-disposition/dist/index.js',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testTimeout: 30_000,
  coverageProvider: 'v8',
  collectCoverageFrom: [
    'apps/api/src/**/*.ts',
    'libs/*/src/**/*.ts',
    '!**/*.spec.ts',
    '!**/*.worker.ts', // runs in worker threads, which V8 coverage of the test process does not see
    '!apps/api/src/main.ts', // the entry and what it loads run in the server processes the tests spawn
    '!apps/api/src/server.ts',
    '!apps/api/src/boot-memory.ts',
    '!apps/api/src/cli/**',
  ],
  coverageThreshold: { global: { lines: 70, statements: 70, functions: 70, branches: 60 } },
  coverageReporters: ['text-summary', 'lcov'],
  maxWorkers: 2,
  // Each ESM test file's modules stay in Node's module registry for the vm modules, so a worker's heap
  // grows ~50 MB per e2e file (1.4-1.7 GB by the end of a run). Exiting that took 400-600 ms, against
  // jest-worker's 500 ms grace, hence "A worker process has failed to exit gracefully" with no handle
  // leaked. Jest's documented remedies: recycle a worker whose heap passes this after a test file, and
  // give the last ones longer to exit (a worker kept alive by a leaked handle never exits, so it is still
  // force-killed and reported).
  workerIdleMemoryLimit: '512MB',
  workerGracefulExitTimeout: 3000,
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
};
