import { jsonBoundsProblem, jsonTextBoundsProblem, type JsonBounds } from './json-bounds.js';

const bounds: JsonBounds = { maxDepth: 4, maxObjectKeys: 3, maxTotalKeys: 5, maxArrayItems: 3 };

// each case is checked as text (HTTP bodies) and as a parsed value (socket events): both must agree
const cases: Array<[string, string | undefined]> = [
  ['{"a":1,"b":"x:,{[","c":[1,2,3]}', undefined],
  ['[]', undefined],
  ['{"a":{"b":{"c":{}}}}', undefined],
  ['{"a":{"b":{"c":{"d":1}}}}', undefined],
  ['{"a":{"b":{"c":{"d":[]}}}}', 'Nesting deeper than 4 levels is not accepted.'],
  ['{"a":1,"b":2,"c":3,"d":4}', 'An object with more than 3 keys is not accepted.'],
  ['[1,2,3,4]', 'An array with more than 3 items is not accepted.'],
  ['[[],[],[]]', undefined],
  ['{"a":{"x":1,"y":2},"b":{"x":1,"y":2}}', 'More than 5 keys in all are not accepted.'],
  ['{"k\\"ey:":"v\\\\","b":[ 1 , 2 , 3 ]}', undefined],
];

describe('JSON bounds', () => {
  it.each(cases)('%s', (text, expected) => {
    expect(jsonTextBoundsProblem(text, bounds)).toBe(expected);
    expect(jsonBoundsProblem(JSON.parse(text), bounds)).toBe(expected);
  });

  it('reads 100k levels of nesting in linear time, stopping at the first excess', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(jsonTextBoundsProblem(deep, bounds)).toBe('Nesting deeper than 4 levels is not accepted.');
  });
});
