import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule, registerAs } from '@nestjs/config';
import { SLICES, type Configuration } from './slices.js';

/**
 * @nestjs/config with this app's slices, global: a feature injects only its own
 * (`@Inject(aiConfig.KEY) ai: ConfigType<typeof aiConfig>`). The values come from one validated
 * environment, passed in, so one process can host several differently configured apps (the tests do).
 */
@Module({})
export class AppConfigModule {
  static forRoot(configuration: Configuration): DynamicModule {
    return {
      module: AppConfigModule,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          ignoreEnvVars: true,
          load: SLICES.map((slice) => registerAs(slice.sliceName, () => configuration[slice.sliceName])),
        }),
      ],
    };
  }
}
