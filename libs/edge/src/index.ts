export * from './asset-url.js';
export * from './cors.js';
export * from './edge-settings.js';
export * from './edge.plugin.js';
export * from './probe-paths.js';
export * from './security-headers.js';
export * from './static-assets.js';
export * from './trusted-proxies.js';
