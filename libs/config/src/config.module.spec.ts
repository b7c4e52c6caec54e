import { Inject, Injectable, Module, type ModuleMetadata, type Type } from '@nestjs/common';
import { ConfigModule, type ConfigType } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { AppConfigModule } from './config.module.js';
import { appConfig, configurationFrom } from './slices.js';

@Injectable()
class ReadsItsSlice {
  constructor(@Inject(appConfig.KEY) readonly app: ConfigType<typeof appConfig>) {}
}

@Module({ providers: [ReadsItsSlice] })
class Feature {}

function rootModule(imports: ModuleMetadata['imports']): Type {
  @Module({ imports })
  class Root {}
  return Root;
}

async function appNamed(name: string): Promise<string> {
  const root = rootModule([AppConfigModule.forRoot(configurationFrom({ PROJECT_NAME: name })), Feature]);
  const app = await NestFactory.createApplicationContext(root, { logger: false });
  try {
    return app.get(ReadsItsSlice).app.name;
  } finally {
    await app.close();
  }
}

describe('AppConfigModule', () => {
  it("gives each app its own configuration's slices (two in one process)", async () => {
    await expect(Promise.all([appNamed('FIRST_APP'), appNamed('SECOND_APP')])).resolves.toEqual(['FIRST_APP', 'SECOND_APP']);
  });

  it('is the only source of a slice: loading the namespace by itself fails loudly instead of reading process.env', async () => {
    expect(() => appConfig()).toThrow(/comes from AppConfigModule.forRoot/);
    const root = rootModule([ConfigModule.forRoot({ load: [appConfig], ignoreEnvFile: true })]);
    await expect(NestFactory.createApplicationContext(root, { logger: false, abortOnError: false })).rejects.toThrow(
      /comes from AppConfigModule.forRoot/,
    );
  });
});
