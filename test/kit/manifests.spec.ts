// Production kit: every YAML file parses, and the Dockerfile, compose files, Caddyfile,
// Kubernetes manifests and workflow carry the probes, limits and hardening they promise.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { ROOT, read, yamlFilesUnder } from './helpers.js';

type Dict = Record<string, unknown>;
interface Probe {
  httpGet?: { path?: string; port?: string | number };
  periodSeconds?: number;
  failureThreshold?: number;
}
interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  privileged?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  ports?: { name?: string; containerPort: number }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  env?: {
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string } };
  }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command?: string[] } } };
  securityContext?: SecurityContext;
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  containers: Container[];
  securityContext?: SecurityContext & { fsGroup?: number };
  terminationGracePeriodSeconds?: number;
  restartPolicy?: string;
  volumes?: { name: string; emptyDir?: Dict; persistentVolumeClaim?: { claimName: string } }[];
}
interface K8sDoc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Dict;
  data?: Record<string, unknown>;
  stringData?: Record<string, unknown>;
}
interface ComposeService {
  image?: string;
  command?: string | string[];
  environment?: Record<string, string>;
  ports?: string[];
  expose?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] | string };
  depends_on?: Record<string, { condition: string }> | string[];
  read_only?: boolean;
  cap_drop?: string[];
  stop_grace_period?: string;
  build?: { context: string; dockerfile: string };
}
interface Compose {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const K8S = 'docker/k8s';

function k8s(file: string): K8sDoc {
  const docs = parseAllDocuments(read(join(K8S, file)));
  expect(docs).toHaveLength(1);
  return docs[0].toJS() as K8sDoc;
}

function podSpec(doc: K8sDoc): PodSpec {
  const template = (doc.spec as { template: { spec: PodSpec } }).template;
  return template.spec;
}

/** CPU in millicores, memory in bytes. */
function quantity(value: string): number {
  const m = /^([0-9.]+)(m|Ki|Mi|Gi|Ti|k|M|G)?$/.exec(String(value));
  if (!m) throw new Error(`bad quantity ${value}`);
  const n = Number(m[1]);
  const unit = m[2] ?? '';
  const factors: Record<string, number> = {
    '': 1,
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
    Ti: 1024 ** 4,
  };
  return n * factors[unit];
}

function durationSeconds(value: string): number {
  const m = /^(\d+)(s|m)$/.exec(value);
  if (!m) throw new Error(`bad duration ${value}`);
  return Number(m[1]) * (m[2] === 'm' ? 60 : 1);
}

describe('every YAML file of the kit parses', () => {
  const files = [...yamlFilesUnder('docker'), ...yamlFilesUnder('.github'), 'docker-compose.yml'];

  it('finds the expected files', () => {
    for (const f of [
      'docker/docker-compose.prod.yml',
      'docker/k8s/deployment.yaml',
      'docker/k8s/service.yaml',
      'docker/k8s/ingress.yaml',
      'docker/k8s/hpa.yaml',
      'docker/k8s/configmap.yaml',
      'docker/k8s/secret.example.yaml',
      'docker/k8s/migration-job.yaml',
      'docker/k8s/backup-cronjob.yaml',
      'docker/k8s/backup-pvc.yaml',
      '.github/workflows/deploy.yml',
      '.github/dependabot.yml',
    ]) {
      expect(files).toContain(f);
    }
  });

  it.each(files)('%s', (file) => {
    const docs = parseAllDocuments(read(file));
    expect(docs.length).toBeGreaterThan(0);
    for (const doc of docs) {
      expect(doc.errors.map((e) => e.message)).toEqual([]);
      expect(doc.warnings.map((e) => e.message)).toEqual([]);
      expect(doc.toJS()).toBeTruthy();
    }
  });
});

describe('Kubernetes manifests', () => {
  const configMap = k8s('configmap.yaml');
  const deployment = k8s('deployment.yaml');
  const pod = podSpec(deployment);
  const api = pod.containers.find((c) => c.name === 'api') as Container;

  it('are namespace-free and named', () => {
    for (const f of yamlFilesUnder(K8S)) {
      const doc = parse(read(f)) as K8sDoc;
      expect(doc.apiVersion).toBeTruthy();
      expect(doc.kind).toBeTruthy();
      if (doc.kind === 'Kustomization') continue;
      expect(doc.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      expect(doc.metadata.namespace).toBeUndefined();
    }
  });

  it('Deployment probes: liveness, readiness, startup on the http port', () => {
    expect(deployment.kind).toBe('Deployment');
    expect(api).toBeDefined();
    expect(api.ports).toEqual([expect.objectContaining({ name: 'http', containerPort: 8000 })]);
    expect(api.livenessProbe?.httpGet).toEqual({ path: '/api/v1/health', port: 'http' });
    expect(api.readinessProbe?.httpGet).toEqual({ path: '/api/v1/health/ready', port: 'http' });
    expect(api.startupProbe?.httpGet).toEqual({ path: '/api/v1/health', port: 'http' });
    // the startup probe must outlast start.sh's wait for the database (30 x 2 s by default)
    const startupBudget = (api.startupProbe?.periodSeconds ?? 10) * (api.startupProbe?.failureThreshold ?? 3);
    expect(startupBudget).toBeGreaterThan(60);
  });

  it('Deployment resources: requests and limits for cpu and memory, limits >= requests', () => {
    const { requests, limits } = api.resources ?? {};
    for (const r of ['cpu', 'memory']) {
      expect(requests?.[r]).toBeDefined();
      expect(limits?.[r]).toBeDefined();
      expect(quantity(limits![r])).toBeGreaterThanOrEqual(quantity(requests![r]));
    }
  });

  it('Deployment security: non-root, read-only root, no privilege escalation, all capabilities dropped', () => {
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
    expect(pod.securityContext?.runAsUser).toBeGreaterThan(0);
    const sc = api.securityContext ?? {};
    expect(sc.allowPrivilegeEscalation).toBe(false);
    expect(sc.readOnlyRootFilesystem).toBe(true);
    expect(sc.privileged ?? false).toBe(false);
    expect(sc.capabilities?.drop).toEqual(['ALL']);
    expect(sc.capabilities?.add ?? []).toEqual([]);
    // writable paths come from emptyDir volumes
    const mounts = Object.fromEntries((api.volumeMounts ?? []).map((m) => [m.mountPath, m.name]));
    for (const path of ['/tmp', '/app/logs']) {
      const volume = pod.volumes?.find((v) => v.name === mounts[path]);
      expect(volume?.emptyDir).toBeDefined();
    }
  });

  it('Deployment shutdown: preStop sleep and a grace period longer than preStop + SHUTDOWN_TIMEOUT_SECONDS', () => {
    const preStop = api.lifecycle?.preStop?.exec?.command ?? [];
    expect(preStop[0]).toBe('sleep');
    const sleep = Number(preStop[1]);
    const shutdown = Number(configMap.data?.SHUTDOWN_TIMEOUT_SECONDS);
    expect(shutdown).toBeGreaterThan(0);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(shutdown + sleep);
  });

  it('Deployment reads the ConfigMap and the Secret, and leaves replicas to the HPA', () => {
    const secret = k8s('secret.example.yaml');
    expect(api.envFrom).toEqual(
      expect.arrayContaining([
        { configMapRef: { name: configMap.metadata.name } },
        { secretRef: { name: secret.metadata.name } },
      ]),
    );
    expect((deployment.spec as Dict).replicas).toBeUndefined();
  });

  it('ConfigMap: one worker per pod, string values only', () => {
    expect(configMap.kind).toBe('ConfigMap');
    expect(configMap.data?.WORKERS).toBe('1');
    expect(configMap.data?.ENVIRONMENT).toBe('production');
    for (const value of Object.values(configMap.data ?? {})) expect(typeof value).toBe('string');
  });

  it('Secret template: placeholders only, clearly marked', () => {
    const text = read(join(K8S, 'secret.example.yaml'));
    expect(text).toMatch(/TEMPLATE/);
    const secret = k8s('secret.example.yaml');
    expect(secret.kind).toBe('Secret');
    for (const key of ['SECRET_KEY', 'DATABASE_URL', 'REDIS_PASSWORD', 'ADMIN_EMAIL', 'ADMIN_PASSWORD']) {
      expect(secret.stringData?.[key]).toBeDefined();
    }
    for (const [key, value] of Object.entries(secret.stringData ?? {})) {
      if (value === '') continue;
      expect(`${key}=${String(value)}`).toMatch(/CHANGE_ME/);
    }
  });

  it('Service selects the Deployment pods and targets the http port', () => {
    const svc = k8s('service.yaml');
    const spec = svc.spec as { selector: Record<string, string>; ports: { targetPort: string | number }[] };
    const podLabels = (deployment.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata
      .labels;
    expect(podLabels).toEqual(expect.objectContaining(spec.selector));
    expect(spec.ports[0].targetPort).toBe('http');
  });

  it('Ingress: long timeouts for WebSockets, routes to the Service, keeps /metrics private', () => {
    const ing = k8s('ingress.yaml');
    const a = ing.metadata.annotations ?? {};
    expect(Number(a['nginx.ingress.kubernetes.io/proxy-read-timeout'])).toBeGreaterThanOrEqual(3600);
    expect(Number(a['nginx.ingress.kubernetes.io/proxy-send-timeout'])).toBeGreaterThanOrEqual(3600);
    expect(a['nginx.ingress.kubernetes.io/affinity']).toBe('cookie');
    const svcName = k8s('service.yaml').metadata.name;
    const rules = (ing.spec as { rules: { http: { paths: { path: string; backend: { service: { name: string } } }[] } }[] })
      .rules;
    const paths = rules.flatMap((r) => r.http.paths);
    expect(paths.map((p) => p.path)).toEqual(expect.arrayContaining(['/api', '/socket.io']));
    expect(paths.map((p) => p.path)).not.toContain('/metrics');
    expect(paths.map((p) => p.path)).not.toContain('/');
    for (const p of paths) expect(p.backend.service.name).toBe(svcName);
  });

  it('HPA: autoscaling/v2 on the Deployment', () => {
    const hpa = k8s('hpa.yaml');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    const spec = hpa.spec as { scaleTargetRef: { kind: string; name: string }; minReplicas: number; maxReplicas: number };
    expect(spec.scaleTargetRef).toEqual(expect.objectContaining({ kind: 'Deployment', name: deployment.metadata.name }));
    expect(spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(spec.maxReplicas).toBeGreaterThan(spec.minReplicas);
  });

  it('migration Job runs the migrate CLI with the same configuration and hardening', () => {
    const job = k8s('migration-job.yaml');
    expect(job.kind).toBe('Job');
    const spec = podSpec(job);
    expect(spec.restartPolicy).toBe('Never');
    const c = spec.containers[0];
    expect(c.command?.join(' ')).toContain('dist/apps/api/src/cli/migrate.js');
    expect(c.image).toBe(api.image);
    expect(c.envFrom).toEqual(api.envFrom);
    expect(spec.securityContext?.runAsNonRoot).toBe(true);
    expect(c.securityContext?.readOnlyRootFilesystem).toBe(true);
    expect(c.securityContext?.allowPrivilegeEscalation).toBe(false);
    expect(c.resources?.limits?.memory).toBeDefined();
  });

  it('backup CronJob: daily backup_db.sh, never two at once, retention, resources, non-root, onto its own volume', () => {
    const cron = k8s('backup-cronjob.yaml');
    expect(cron.kind).toBe('CronJob');
    const spec = cron.spec as {
      schedule: string;
      concurrencyPolicy: string;
      successfulJobsHistoryLimit: number;
      failedJobsHistoryLimit: number;
      jobTemplate: { spec: { backoffLimit: number; activeDeadlineSeconds: number; template: { spec: PodSpec } } };
    };
    expect(spec.schedule.split(' ')).toHaveLength(5);
    expect(spec.schedule).toMatch(/^\d+ \d+ \* \* \*$/); // once a day
    expect(spec.concurrencyPolicy).toBe('Forbid');
    expect(spec.successfulJobsHistoryLimit).toBeGreaterThan(0);
    expect(spec.failedJobsHistoryLimit).toBeGreaterThan(0);
    expect(spec.jobTemplate.spec.activeDeadlineSeconds).toBeGreaterThan(0);
    const pod = spec.jobTemplate.spec.template.spec;
    expect(pod.restartPolicy).toMatch(/^(Never|OnFailure)$/);
    const c = pod.containers[0];
    expect(c.image).toBe(api.image);
    expect(c.command?.join(' ')).toMatch(/scripts\/backup_db\.sh$/);
    // retention from the ConfigMap, the database from the Secret (that key only), dumps onto the claim
    const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e]));
    expect(env.BACKUP_RETENTION_DAYS.valueFrom?.configMapKeyRef).toEqual({
      name: configMap.metadata.name,
      key: 'BACKUP_RETENTION_DAYS',
    });
    expect(Number(configMap.data?.BACKUP_RETENTION_DAYS)).toBeGreaterThan(0);
    expect(env.DATABASE_URL.valueFrom?.secretKeyRef).toEqual({ name: 'grupo-gad-api-secrets', key: 'DATABASE_URL' });
    expect(c.envFrom).toBeUndefined();
    const mount = c.volumeMounts?.find((m) => m.mountPath === env.BACKUP_DIR.value);
    const claim = pod.volumes?.find((v) => v.name === mount?.name)?.persistentVolumeClaim?.claimName;
    expect(claim).toBe(k8s('backup-pvc.yaml').metadata.name);
    // resources and hardening as the Deployment's
    for (const r of ['cpu', 'memory']) {
      expect(quantity(c.resources!.limits![r])).toBeGreaterThanOrEqual(quantity(c.resources!.requests![r]));
    }
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
    expect(pod.securityContext?.runAsUser).toBe(10001); // the image's user, which owns nothing but what it writes
    expect(pod.securityContext?.fsGroup).toBe(10001); // so it may write to the claim
    expect(c.securityContext?.readOnlyRootFilesystem).toBe(true);
    expect(c.securityContext?.allowPrivilegeEscalation).toBe(false);
    expect(c.securityContext?.capabilities?.drop).toEqual(['ALL']);
  });

  it('kustomization lists existing files, without the Secret template and the Job', () => {
    const kust = parse(read(join(K8S, 'kustomization.yaml'))) as { resources: string[] };
    for (const r of kust.resources) expect(existsSync(join(ROOT, K8S, r))).toBe(true);
    expect(kust.resources).not.toContain('secret.example.yaml');
    expect(kust.resources).not.toContain('migration-job.yaml');
    expect(kust.resources).toEqual(
      expect.arrayContaining(['deployment.yaml', 'service.yaml', 'hpa.yaml', 'backup-cronjob.yaml', 'backup-pvc.yaml']),
    );
  });
});

describe('docker/docker-compose.prod.yml', () => {
  const compose = parse(read('docker/docker-compose.prod.yml')) as Compose;
  const { db, redis, api, caddy, backup } = compose.services;

  it('uses the pinned images', () => {
    expect(db.image).toBe('postgis/postgis:15-3.3-alpine');
    expect(redis.image).toBe('redis:7-alpine');
    expect(caddy.image).toBe('caddy:2-alpine');
    expect(api.build).toEqual({ context: '..', dockerfile: 'docker/Dockerfile.api' });
  });

  it('runs Redis with persistence and a password', () => {
    const cmd = ([] as string[]).concat(redis.command ?? []).join(' ');
    expect(cmd).toContain('--appendonly yes');
    expect(cmd).toContain('--requirepass');
  });

  it('has healthchecks, and the API waits for healthy db and redis', () => {
    for (const s of [db, redis, api]) expect(s.healthcheck?.test).toBeDefined();
    expect(String(([] as string[]).concat(api.healthcheck!.test))).toContain('/api/v1/health');
    expect(api.depends_on).toEqual({
      db: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
    expect(caddy.depends_on).toEqual({ api: { condition: 'service_healthy' } });
  });

  it('publishes only Caddy; db and redis have no ports', () => {
    expect(db.ports).toBeUndefined();
    expect(redis.ports).toBeUndefined();
    expect(api.ports).toBeUndefined();
    expect(caddy.ports).toEqual(expect.arrayContaining(['80:80', '443:443']));
    expect(caddy.volumes).toContain('./Caddyfile:/etc/caddy/Caddyfile:ro');
  });

  it('hardens the API container and gives it time to drain', () => {
    expect(api.read_only).toBe(true);
    expect(api.cap_drop).toEqual(['ALL']);
    const shutdown = Number(/\$\{SHUTDOWN_TIMEOUT_SECONDS:-(\d+)\}/.exec(api.environment!.SHUTDOWN_TIMEOUT_SECONDS)?.[1]);
    expect(durationSeconds(api.stop_grace_period!)).toBeGreaterThan(shutdown);
  });

  it('backs up on a schedule: the API image runs backup_schedule.sh into the backups volume, hardened', () => {
    expect(backup.image).toBe(api.image);
    expect(([] as string[]).concat(backup.command ?? []).join(' ')).toMatch(/scripts\/backup_schedule\.sh$/);
    expect(backup.environment?.DATABASE_URL).toBe(api.environment?.DATABASE_URL);
    expect(backup.environment?.BACKUP_RETENTION_DAYS).toMatch(/^\$\{BACKUP_RETENTION_DAYS:-\d+\}$/);
    expect(backup.environment?.BACKUP_INTERVAL_SECONDS).toBe('${BACKUP_INTERVAL_SECONDS:-86400}');
    expect(backup.volumes).toContain(`app_backups:${backup.environment?.BACKUP_DIR}`);
    expect(backup.depends_on).toEqual(expect.objectContaining({ db: { condition: 'service_healthy' } }));
    expect(backup.read_only).toBe(true);
    expect(backup.cap_drop).toEqual(['ALL']);
    expect(backup.ports).toBeUndefined();
  });

  it('declares every named volume it mounts', () => {
    const named = Object.values(compose.services)
      .flatMap((s) => s.volumes ?? [])
      .map((v) => v.split(':')[0])
      .filter((src) => !src.startsWith('.') && !src.startsWith('/'));
    expect(named.length).toBeGreaterThan(0);
    for (const v of named) expect(Object.keys(compose.volumes ?? {})).toContain(v);
  });

  it('hard-codes no secret: required ones use ${VAR:?message}', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        if (/PASSWORD|SECRET|TOKEN|_KEY$/.test(key)) {
          expect(`${name}.${key}=${value}`).toMatch(/\$\{[A-Z_]+:\?[^}]+\}/);
        }
      }
    }
    expect(api.environment?.DATABASE_URL).toMatch(/\$\{POSTGRES_PASSWORD:\?/);
  });
});

describe('README, .env.example and the compose files agree', () => {
  const required = ['docker-compose.yml', 'docker/docker-compose.prod.yml'].flatMap((file) =>
    [...read(file).matchAll(/\$\{([A-Z0-9_]+):\?/g)].map((m) => m[1]),
  );
  const envExample = read('.env.example');
  const readme = read('README.md');
  // the production steps: README's "Docker Compose (one host)" section up to its first prose paragraph
  const steps = readme.slice(
    readme.indexOf('### Docker Compose (one host)'),
    readme.indexOf('[`docker/docker-compose.prod.yml`]'),
  );

  it('finds the variables compose refuses to start without', () => {
    expect(new Set(required)).toEqual(
      new Set(['POSTGRES_PASSWORD', 'REDIS_PASSWORD', 'SECRET_KEY', 'ADMIN_EMAIL', 'ADMIN_PASSWORD', 'DOMAIN']),
    );
  });

  it.each([...new Set(required)])('%s is in .env.example and in the README production steps', (name) => {
    expect(envExample).toMatch(new RegExp(`^(# )?${name}=`, 'm'));
    expect(steps).toMatch(new RegExp(`\\b${name}\\b`));
  });
});

describe('docker-compose.yml (development)', () => {
  const compose = parse(read('docker-compose.yml')) as Compose;

  it('runs only PostgreSQL 15 and Redis 7, bound to 127.0.0.1', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['db', 'redis']);
    expect(compose.services.db.image).toMatch(/^postgres(:|\/postgis:)15/);
    expect(compose.services.redis.image).toMatch(/^redis:7/);
    for (const s of Object.values(compose.services)) {
      expect(s.ports?.length).toBeGreaterThan(0);
      for (const p of s.ports ?? []) expect(p).toMatch(/^127\.0\.0\.1:/);
      expect(s.healthcheck).toBeDefined();
    }
  });
});

describe('docker/Caddyfile', () => {
  const caddyfile = read('docker/Caddyfile');
  const directives = caddyfile
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter(Boolean);

  it('serves {$DOMAIN} with compression and proxies to api:8000', () => {
    expect(directives).toContain('{$DOMAIN} {');
    expect(directives).toContain('encode zstd gzip');
    expect(directives.some((d) => /^reverse_proxy api:8000\b/.test(d))).toBe(true);
  });

  it('strips Server and does not repeat the security headers the app sets', () => {
    expect(directives).toContain('header -Server');
    for (const h of ['Strict-Transport-Security', 'Content-Security-Policy', 'X-Frame-Options', 'X-Content-Type-Options']) {
      expect(directives.join('\n')).not.toContain(h);
    }
  });

  it('hides /metrics from the public', () => {
    expect(directives.some((d) => /^respond \/metrics\*? 404$/.test(d))).toBe(true);
  });
});

describe('docker/Dockerfile.api', () => {
  // join continuation lines, drop comments
  const lines = read('docker/Dockerfile.api')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: string[][] = [];
  for (const l of lines) {
    if (/^FROM\s/i.test(l)) stages.push([]);
    stages.at(-1)?.push(l);
  }
  const runtime = stages.at(-1) ?? [];
  const find = (stage: string[], instr: string) => stage.filter((l) => l.toUpperCase().startsWith(`${instr} `));

  it('is multi-stage on a Node LTS slim base', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const s of stages) expect(s[0]).toMatch(/^FROM node:(2[2468]|[3-9][02468])-\w+-slim AS \w+$/i);
  });

  it('builds with dev dependencies and ships production ones only', () => {
    const build = stages[0].join('\n');
    expect(build).toMatch(/npm ci/);
    expect(build).toMatch(/npm run build/);
    expect(build).toMatch(/npm prune --omit=dev/);
    expect(runtime.join('\n')).not.toMatch(/npm (ci|install)/);
    expect(runtime.join('\n')).toMatch(/COPY --from=\w+ \/app\/apps\/dashboard/);
  });

  it('runtime: postgresql-client and curl, /app/logs, non-root USER, HEALTHCHECK, EXPOSE 8000, start.sh', () => {
    const text = runtime.join('\n');
    expect(text).toMatch(/apt-get install[^\n]*postgresql-client/);
    expect(text).toMatch(/apt-get install[^\n]*curl/);
    expect(text).toMatch(/\/app\/logs/);
    const user = find(runtime, 'USER');
    expect(user).toHaveLength(1);
    const uid = user[0].split(/\s+/)[1].split(':')[0];
    expect(uid).toMatch(/^\d+$/); // numeric, so runAsNonRoot can verify it
    expect(Number(uid)).toBeGreaterThan(0);
    const hc = find(runtime, 'HEALTHCHECK');
    expect(hc).toHaveLength(1);
    expect(hc[0]).toContain('/api/v1/health');
    expect(find(runtime, 'EXPOSE')).toEqual(['EXPOSE 8000']);
    expect(find(runtime, 'CMD')[0]).toContain('scripts/start.sh');
  });

  it('.dockerignore keeps secrets, git and local builds out of the context', () => {
    const ignore = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim());
    for (const p of ['node_modules', '.git', '.env', '.env.*', 'dist']) expect(ignore).toContain(p);
    expect(ignore).not.toContain('scripts');
    expect(ignore).not.toContain('apps');
  });
});

describe('scripts', () => {
  it.each(['scripts/start.sh', 'scripts/backup_db.sh', 'scripts/restore_db.sh', 'scripts/backup_schedule.sh'])(
    '%s is executable bash that parses',
    (f) => {
      expect(statSync(join(ROOT, f)).mode & 0o111).not.toBe(0);
      expect(read(f).split('\n')[0]).toBe('#!/usr/bin/env bash');
      expect(read(f)).toContain('set -euo pipefail');
      const r = spawnSync('bash', ['-n', join(ROOT, f)], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    },
  );
});

describe('.github', () => {
  interface Step {
    uses?: string;
    run?: string;
    with?: Dict;
    if?: string;
  }
  interface Job {
    needs?: string | string[];
    services?: Record<string, { image: string }>;
    steps: Step[];
    if?: string;
  }
  const wf = parse(read('.github/workflows/deploy.yml')) as { on: Dict; jobs: Record<string, Job> };
  const runs = (job: Job) => job.steps.map((s) => s.run ?? '').join('\n');

  it('test job: PostgreSQL and Redis services, lint, typecheck, coverage', () => {
    const test = wf.jobs.test;
    expect(test.services?.postgres.image).toMatch(/^postgis\/postgis:15/);
    expect(test.services?.redis.image).toMatch(/^redis:7/);
    for (const cmd of ['npm ci', 'npm run lint', 'npm run typecheck', 'npm run test:cov']) expect(runs(test)).toContain(cmd);
  });

  it('validates the manifests with kubeconform', () => {
    expect(runs(wf.jobs.manifests)).toMatch(/kubeconform -strict .*docker\/k8s/);
  });

  it('builds and pushes to GHCR with the release tags after the tests', () => {
    const job = wf.jobs['build-and-push'];
    expect(job.needs).toEqual(expect.arrayContaining(['test', 'manifests']));
    const meta = job.steps.find((s) => s.uses?.startsWith('docker/metadata-action@'));
    const tags = String(meta?.with?.tags);
    for (const t of [
      'type=ref,event=branch',
      'type=ref,event=pr',
      'type=semver,pattern={{version}}',
      'type=semver,pattern={{major}}.{{minor}}',
      'type=raw,value=latest,enable={{is_default_branch}}',
    ]) {
      expect(tags).toContain(t);
    }
    const push = job.steps.find((s) => s.uses?.startsWith('docker/build-push-action@') && s.with?.push === true);
    expect(push?.with?.file).toBe('docker/Dockerfile.api');
  });

  it('CI tests on every supported Node.js line, lints openapi.json, and uploads the browser screenshots', () => {
    const ci = parse(read('.github/workflows/ci.yml')) as {
      jobs: { test: Job & { strategy: { matrix: { node: string[] } } } };
    };
    expect(ci.jobs.test.strategy.matrix.node).toEqual(['22', '24']);
    const setup = ci.jobs.test.steps.find((s) => s.uses?.startsWith('actions/setup-node@'));
    expect(setup?.with?.['node-version']).toBe('${{ matrix.node }}');
    for (const cmd of ['npm ci', 'npm run lint:openapi', 'npm run test:cov']) expect(runs(ci.jobs.test)).toContain(cmd);
    expect(runs(wf.jobs.test)).toContain('npm run lint:openapi');
    const upload = ci.jobs.test.steps.find(
      (s) => s.uses?.startsWith('actions/upload-artifact@') && s.with?.path === 'test-results/',
    );
    expect(upload?.if).toBe('always()');
    expect(JSON.parse(read('package.json')).engines.node).toBe('>=22.12');
  });

  it('deploy job runs after the image and names what it needs', () => {
    const deploy = wf.jobs.deploy;
    expect(deploy.needs).toBe('build-and-push');
    expect(runs(deploy)).toContain('KUBE_CONFIG');
    expect(runs(deploy)).toContain('K8S_NAMESPACE');
  });

  it('uses actions by major version tag', () => {
    for (const job of Object.values(wf.jobs)) {
      for (const s of job.steps) if (s.uses) expect(s.uses).toMatch(/^[\w.-]+\/[\w.-]+@v\d+$/);
    }
  });

  it('dependabot covers npm, docker (/docker) and github-actions', () => {
    const cfg = parse(read('.github/dependabot.yml')) as { updates: { 'package-ecosystem': string; directory?: string }[] };
    const eco = cfg.updates.map((u) => `${u['package-ecosystem']}:${u.directory ?? ''}`);
    expect(eco).toEqual(expect.arrayContaining(['npm:/', 'docker:/docker', 'github-actions:/']));
  });
});
