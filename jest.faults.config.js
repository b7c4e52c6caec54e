// The fault-injection suite (npm run test:faults): slower scenarios kept out of `npm test`.
import base from './jest.config.js';

export default {
  ...base,
  testMatch: ['<rootDir>/apps/api/test/faults/**/*.fault-spec.ts'],
  testTimeout: 120_000,
  maxWorkers: 1,
  globalTeardown: '<rootDir>/apps/api/test/faults/write-reliability-report.js',
  coverageThreshold: undefined,
};
