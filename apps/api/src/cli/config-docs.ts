import { readFileSync, writeFileSync } from 'node:fs';
import { PRODUCTION_COMPOSE, composeRequiredVariables, configTable, envExample } from '@gad/config';

// npm run docs:config: rewrites README.md's configuration table and .env.example from libs/config's variable list.
const START = '<!-- config-table:start -->';
const END = '<!-- config-table:end -->';
const readme = readFileSync('README.md', 'utf8');
const start = readme.indexOf(START);
const end = readme.indexOf(END);
if (start < 0 || end < start) {
  console.error(`README.md has no ${START} … ${END} block`);
  process.exit(1);
}
writeFileSync('README.md', `${readme.slice(0, start + START.length)}\n${configTable()}\n${readme.slice(end)}`);
writeFileSync('.env.example', envExample(composeRequiredVariables(readFileSync(PRODUCTION_COMPOSE, 'utf8'))));
console.log('README.md configuration table and .env.example updated');
