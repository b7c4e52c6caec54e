import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { RedisService } from '@gad/redis';

export type RedisState = 'up' | 'down' | 'disabled';

/** The dependency pings, each bounded so that a hung dependency cannot hang a probe. */
@Injectable()
export class HealthRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly redis: RedisService,
  ) {}

  async pingDatabase(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const ping = this.dataSource.query('SELECT 1').then(
      () => true,
      () => false,
    );
    try {
      return await Promise.race([ping, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async pingRedis(timeoutMs: number): Promise<RedisState> {
    if (!this.redis.enabled) return 'disabled';
    return (await this.redis.ping(timeoutMs)) ? 'up' : 'down';
  }
}
