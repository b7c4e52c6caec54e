import type { EdgeSettings } from './edge-settings.js';

export type AssetType = 'static' | 'images' | 'docs';

const LOCAL_BASE: Record<AssetType, string> = { static: '/static', images: '/static/images', docs: '/static/docs' };

/**
 * A CDN per asset type (static, images, docs), from configuration instead of hard-coded domains: in staging and production
 * with CDN_BASE_URL set, `${CDN_BASE_URL}/${type}/${file}`; otherwise the local /static paths.
 */
export function assetUrl(config: EdgeSettings, type: AssetType, file: string): string {
  const path = file
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => {
      if (segment === '.' || segment === '..') throw new Error(`asset file name must not contain "${segment}" segments: ${file}`);
      return encodeURIComponent(segment);
    })
    .join('/');
  const cdn = cdnBaseUrl(config);
  return `${cdn ? `${cdn}/${type}` : LOCAL_BASE[type]}/${path}`;
}

/** CDN_BASE_URL where it applies (staging and production), else undefined. */
function cdnBaseUrl(config: EdgeSettings): string | undefined {
  const deployed = config.app.environment === 'production' || config.app.environment === 'staging';
  return deployed ? config.http.cdnBaseUrl : undefined;
}

/** The origin assets come from when it is not the page's own (for the dashboard's CSP). */
export function assetOrigin(config: EdgeSettings): string | undefined {
  const cdn = cdnBaseUrl(config);
  return cdn ? new URL(cdn).origin : undefined;
}
