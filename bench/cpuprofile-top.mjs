// Summarises a V8 .cpuprofile: top self-time functions, self and inclusive time per package, and the app's
// own functions by inclusive time. Optionally only the samples inside a time window (µs on the monotonic
// clock, the one process.hrtime() and V8's profiler both use).
//
//   node bench/cpuprofile-top.mjs bench/results/api-users-me.cpuprofile [--top 30] [--from µs --to µs]
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SPECIAL = new Set(['(garbage collector)', '(program)', '(idle)', '(root)']);

/** node_modules/<pkg>, node:internal, the app (dist/<lib>), V8 specials or native. */
export function packageOf(url, functionName) {
  if (SPECIAL.has(functionName)) return functionName;
  if (!url) return '(native/V8)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm !== -1) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return 'node (core)';
  const dist = url.indexOf('/dist/');
  if (dist !== -1) {
    const parts = url.slice(dist + '/dist/'.length).split('/');
    return parts[0] === 'libs' || parts[0] === 'apps' ? `app: ${parts[0]}/${parts[1]}` : `app: ${parts[0]}`;
  }
  return url.replace(/^file:\/\//, '');
}

function shortUrl(url) {
  if (!url) return '';
  const nm = url.lastIndexOf('node_modules/');
  if (nm !== -1) return url.slice(nm + 'node_modules/'.length);
  const dist = url.indexOf('/dist/');
  if (dist !== -1) return url.slice(dist + 1);
  return url.replace(/^file:\/\//, '');
}

export function summarize(profile, { from, to, top = 30 } = {}) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  // Sample times: startTime + running sum of timeDeltas; weight = that sample's delta (µs).
  let t = profile.startTime;
  const picked = [];
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    t += delta;
    picked.push({ node: profile.samples[i], t, w: Math.max(0, delta) });
  }
  let windowNote = 'whole profile';
  let samples = picked;
  if (from !== undefined && to !== undefined) {
    const inside = picked.filter((s) => s.t >= from && s.t <= to);
    if (inside.length > 0) {
      samples = inside;
      windowNote = `window ${((to - from) / 1e6).toFixed(1)} s (${inside.length} of ${picked.length} samples)`;
    } else {
      windowNote = 'window did not overlap the profile: whole profile used';
    }
  }

  const keyOf = (n) => {
    const f = n.callFrame;
    const name = f.functionName || '(anonymous)';
    return SPECIAL.has(name) ? name : `${name}  ${shortUrl(f.url)}:${f.lineNumber + 1}`;
  };
  const self = new Map();
  const pkgSelf = new Map();
  const pkgIncl = new Map();
  const appIncl = new Map();
  let total = 0;
  let idle = 0;
  for (const s of samples) {
    const n = byId.get(s.node);
    if (!n) continue;
    total += s.w;
    const name = n.callFrame.functionName;
    if (name === '(idle)') {
      idle += s.w;
      continue;
    }
    const key = keyOf(n);
    self.set(key, (self.get(key) ?? 0) + s.w);
    const pkg = packageOf(n.callFrame.url, name);
    pkgSelf.set(pkg, (pkgSelf.get(pkg) ?? 0) + s.w);
    const seenPkg = new Set();
    const seenApp = new Set();
    for (let id = s.node, guard = 0; id !== undefined && guard < 10_000; id = parent.get(id), guard++) {
      const node = byId.get(id);
      const p = packageOf(node.callFrame.url, node.callFrame.functionName);
      if (!SPECIAL.has(p)) seenPkg.add(p);
      if (p.startsWith('app: ')) seenApp.add(keyOf(node));
    }
    for (const p of seenPkg) pkgIncl.set(p, (pkgIncl.get(p) ?? 0) + s.w);
    for (const k of seenApp) appIncl.set(k, (appIncl.get(k) ?? 0) + s.w);
  }
  const busy = total - idle;
  const rank = (map, n = top) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({
        name,
        ms: Math.round(us / 100) / 10,
        pctBusy: busy > 0 ? Math.round((us / busy) * 1000) / 10 : 0,
      }));
  return {
    windowNote,
    totalMs: Math.round(total / 1000),
    busyMs: Math.round(busy / 1000),
    busyPct: total > 0 ? Math.round((busy / total) * 1000) / 10 : 0,
    topSelf: rank(self),
    packagesSelf: rank(pkgSelf, 25),
    packagesInclusive: rank(pkgIncl, 25),
    appInclusive: rank(appIncl, 25),
  };
}

export function formatSummary(title, s) {
  const table = (rows, label) => [
    `| ${label} | ms | % of busy |`,
    '| --- | ---: | ---: |',
    ...rows.map((r) => `| \`${r.name.replace(/\|/g, '\\|')}\` | ${r.ms} | ${r.pctBusy} |`),
  ];
  return [
    `### ${title}`,
    '',
    `${s.windowNote}; ${s.busyMs} ms busy of ${s.totalMs} ms (${s.busyPct}% busy)`,
    '',
    '#### Top functions by self time',
    '',
    ...table(s.topSelf, 'function'),
    '',
    '#### Packages by self time',
    '',
    ...table(s.packagesSelf, 'package'),
    '',
    '#### Packages by inclusive time (time in stacks that include the package)',
    '',
    ...table(s.packagesInclusive, 'package'),
    '',
    "#### The app's own functions by inclusive time",
    '',
    ...table(s.appInclusive, 'function'),
    '',
  ].join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith('--') && !/^\d+$/.test(a));
  const opt = (name) => {
    const i = args.indexOf(`--${name}`);
    return i === -1 ? undefined : Number(args[i + 1]);
  };
  if (!file) {
    console.error('usage: node bench/cpuprofile-top.mjs <file.cpuprofile> [--top N] [--from µs --to µs]');
    process.exit(1);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  console.log(formatSummary(file, summarize(profile, { from: opt('from'), to: opt('to'), top: opt('top') ?? 30 })));
}
