export interface JsonBounds {
  maxDepth: number;
  maxObjectKeys: number;
  maxTotalKeys: number;
  maxArrayItems: number;
}

/**
 * Why a parsed JSON value is too big a shape to validate, or undefined when it is within bounds.
 * One pass with an explicit stack: linear in the value's size, whatever its depth. Runs before
 * class-transformer, whose handling of object keys is quadratic in their number.
 */
export function jsonBoundsProblem(value: unknown, bounds: JsonBounds): string | undefined {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  let totalKeys = 0;
  while (stack.length > 0) {
    const { value: node, depth } = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= bounds.maxDepth) return `Nesting deeper than ${bounds.maxDepth} levels is not accepted.`;
    if (Array.isArray(node)) {
      if (node.length > bounds.maxArrayItems) return `An array with more than ${bounds.maxArrayItems} items is not accepted.`;
      for (const item of node) stack.push({ value: item, depth: depth + 1 });
      continue;
    }
    const keys = Object.keys(node);
    if (keys.length > bounds.maxObjectKeys) return `An object with more than ${bounds.maxObjectKeys} keys is not accepted.`;
    totalKeys += keys.length;
    if (totalKeys > bounds.maxTotalKeys) return `More than ${bounds.maxTotalKeys} keys in all are not accepted.`;
    for (const key of keys) stack.push({ value: (node as Record<string, unknown>)[key], depth: depth + 1 });
  }
  return undefined;
}

const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;

/**
 * The same bounds read off JSON text before it is parsed, in one pass that stops at the first excess:
 * a body past them costs no JSON.parse. Malformed text is left for JSON.parse to refuse.
 */
export function jsonTextBoundsProblem(text: string, bounds: JsonBounds): string | undefined {
  const isArray: boolean[] = [];
  const items: number[] = [];
  let totalKeys = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    const top = items.length - 1;
    if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (top >= 0 && isArray[top] && items[top] === 0) items[top] = 1;
      isArray.push(c === OPEN_ARRAY);
      items.push(0);
      if (items.length > bounds.maxDepth) return `Nesting deeper than ${bounds.maxDepth} levels is not accepted.`;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      isArray.pop();
      items.pop();
    } else if (top < 0) {
      continue;
    } else if (isArray[top]) {
      // an array's items: its commas, plus one once anything is in it
      if (c === COMMA) items[top]++;
      else if (items[top] === 0 && c > 0x20) items[top] = 1;
      if (items[top] > bounds.maxArrayItems) return `An array with more than ${bounds.maxArrayItems} items is not accepted.`;
    } else if (c === COLON) {
      if (++items[top] > bounds.maxObjectKeys) return `An object with more than ${bounds.maxObjectKeys} keys is not accepted.`;
      if (++totalKeys > bounds.maxTotalKeys) return `More than ${bounds.maxTotalKeys} keys in all are not accepted.`;
    }
  }
  return undefined;
}
