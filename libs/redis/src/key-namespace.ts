import type { AppConfig } from '@gad/config';

/** Every Redis key this app writes starts with this, so projects and environments can share one server. */
export function keyNamespace(config: Pick<AppConfig, 'app' | 'environment'>): string {
  return `${config.app.name}:${config.environment}:`;
}
