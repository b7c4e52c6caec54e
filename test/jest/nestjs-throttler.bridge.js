// Jest-only bridge. @nestjs/throttler ships CommonJS that require()s the ESM-only @nestjs/common 12.
// Node 20.19 allows that natively (require(esm)), but Jest's module runtime does not before Node 24.9,
// so under Jest we evaluate the package's CommonJS files ourselves, handing them the ESM namespaces.
// Production and the built app load the real package directly; nothing here ships.
import * as common from '@nestjs/common';
import * as core from '@nestjs/core';
import * as crypto from 'node:crypto';
import * as net from 'node:net';
import * as asyncHooks from 'node:async_hooks';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../node_modules/@nestjs/throttler/dist');
const external = { '@nestjs/common': common, '@nestjs/core': core, 'node:crypto': crypto, crypto, net, async_hooks: asyncHooks };
const cache = new Map();

function load(file) {
  if (cache.has(file)) return cache.get(file).exports;
  const module = { exports: {} };
  cache.set(file, module);
  const source = readFileSync(file, 'utf8');
  const require = (id) => {
    if (id in external) return external[id];
    if (id.startsWith('.')) {
      const target = join(dirname(file), id);
      return load(target.endsWith('.js') ? target : `${target}.js`);
    }
    throw new Error(`nestjs-throttler bridge: unexpected require("${id}")`);
  };
  new Function('exports', 'require', 'module', '__filename', '__dirname', source)(
    module.exports,
    require,
    module,
    file,
    dirname(file),
  );
  return module.exports;
}

const throttler = load(join(root, 'index.js'));
export const {
  getOptionsToken,
  getStorageToken,
  DEFAULT_IPV6_SUBNET_PREFIX,
  normalizeIp,
  ThrottlerStorage,
  Throttle,
  SkipThrottle,
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  throttlerMessage,
  ThrottlerException,
  ThrottlerGuard,
  ThrottlerModule,
  DEFAULT_SWEEP_INTERVAL,
  ThrottlerStorageService,
  seconds,
  minutes,
  hours,
  days,
  weeks,
} = throttler;
export default throttler;
