import { rmSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OpenAPIObject } from '@nestjs/swagger';
import { configurationFrom } from '@gad/config';
import { createApp } from './create-app.js';
import { buildOpenApiDocument } from './openapi-conventions.js';

/** The OpenAPI document for the default configuration, built from a throwaway embedded app. */
export async function openApiDocument(): Promise<OpenAPIObject> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gad-openapi-'));
  const config = configurationFrom({
    ENVIRONMENT: 'test',
    LOG_LEVEL: 'CRITICAL',
    DATA_DIR: dataDir,
    ADMIN_PASSWORD: 'openapi-generation-only',
  });
  const app = await createApp(config);
  try {
    return buildOpenApiDocument(app, config);
  } finally {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
