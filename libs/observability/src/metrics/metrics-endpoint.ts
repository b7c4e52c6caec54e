import { HttpStatus } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BlockList, isIP } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import type { Configuration } from '@gad/config';
import { ProblemException } from '../problem.js';
import { sendProblem, toProblem } from '../problem-mapper.js';
import type { MetricsService } from './metrics.service.js';

/** Builds a BlockList from IPs and CIDR ranges; `localhost` means 127.0.0.1 and ::1. */
export function addressList(entries: string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    if (entry === 'localhost') {
      list.addAddress('127.0.0.1', 'ipv4');
      list.addAddress('::1', 'ipv6');
      continue;
    }
    const [address, prefix] = entry.split('/');
    const version = isIP(address);
    if (version === 0) continue;
    const family = version === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(prefix), family);
  }
  return list;
}

export function inList(list: BlockList, rawIp: string): boolean {
  const ip = rawIp.replace(/^::ffff:/, '');
  const version = isIP(ip);
  return version !== 0 && list.check(ip, version === 6 ? 'ipv6' : 'ipv4');
}

/** GET METRICS_PATH: Prometheus text, readable only from METRICS_ALLOWED_HOSTS or with METRICS_TOKEN. Outside the API prefix. */
export function metricsEndpoint(metrics: MetricsService, config: Configuration['metrics']) {
  const allowed = addressList(config.allowedHosts);
  const token = config.token ? Buffer.from(config.token) : undefined;
  const hasToken = (req: FastifyRequest): boolean => {
    const header = req.headers.authorization;
    if (!token || !header?.startsWith('Bearer ')) return false;
    const given = Buffer.from(header.slice(7));
    return given.length === token.length && timingSafeEqual(given, token);
  };
  return async (req: FastifyRequest, res: FastifyReply): Promise<FastifyReply> => {
    if (!hasToken(req) && !inList(allowed, req.ip)) {
      const denied = new ProblemException(HttpStatus.FORBIDDEN, {
        detail: 'Metrics are readable only from allowed hosts or with the metrics token.',
      });
      sendProblem(res, toProblem(denied, req, { exposeStack: false }));
      return res;
    }
    const text = await metrics.exposition();
    return res.header('content-type', metrics.registry.contentType).header('cache-control', 'no-store').send(text);
  };
}
