import type { Configuration } from '@gad/config';

export type AssetType = 'static' | 'images' | 'docs';

const LOCAL_BASE: Record<AssetType, string> = { static: '/static', images: '/static/images', docs: '/static/docs' };

/**
 * The seed's CDN table, from configuration instead of hard-coded domains: in staging and production
 * with CDN_BASE_URL set, `${CDN_BASE_URL}/${type}/${file}`; otherwise the local /static paths.
 */
export function assetUrl(config: Pick<Configuration, 'app' | 'http'>, type: AssetType, file: string): string {
  const path = file
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => {
      if (segment === '.' || segment === '..') throw new Error(`asset file name must not contain "${segment}" segments: ${file}`);
      return encodeURIComponent(segment);
    })
    .join('/');
  const deployed = config.app.environment === 'production' || config.app.environment === 'staging';
  const base = deployed && config.http.cdnBaseUrl ? `${config.http.cdnBaseUrl}/${type}` : LOCAL_BASE[type];
  return `${base}/${path}`;
}
