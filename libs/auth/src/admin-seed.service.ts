import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import { appConfig, authConfig } from '@gad/config';
import { UsersService } from '@gad/users';

/**
 * Creates the first admin (superuser, must change password) only while the system has no active superuser,
 * never merely because ADMIN_EMAIL has no account (a renamed or deleted seed admin stays gone). Idempotent.
 */
@Injectable()
export class AdminSeedService implements OnApplicationBootstrap {
  private readonly logger = new Logger('AdminSeed');

  constructor(
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
    @Inject(authConfig.KEY) private readonly auth: ConfigType<typeof authConfig>,
    private readonly users: UsersService,
  ) {}

  /** Whether this process created the admin (at boot or through seed()). */
  created = false;

  async onApplicationBootstrap(): Promise<void> {
    await this.seed();
  }

  async seed(): Promise<boolean> {
    const email = this.auth.adminEmail;
    let password = this.auth.adminPassword;
    const generated = !password;
    if (!password) {
      if (this.app.isProduction) throw new Error('ADMIN_PASSWORD is required in production');
      password = randomBytes(12).toString('base64url');
    }
    let outcome: Awaited<ReturnType<UsersService['ensureAdmin']>>;
    try {
      outcome = await this.users.ensureAdmin(email, password);
    } catch (error) {
      if ((error as { driverError?: { code?: string } }).driverError?.code === '42P01') {
        throw new Error(
          'the database has no schema yet: run the migrations first (scripts/start.sh, `npm run migration:run`, or RUN_MIGRATIONS=true)',
          { cause: error },
        );
      }
      throw error;
    }
    if (outcome === 'email_taken') {
      this.logger.warn(`no active superuser, and ${email} (ADMIN_EMAIL) belongs to another account: no admin was created`);
    }
    const created = outcome === 'created';
    this.created ||= created;
    if (created) {
      this.logger.log(`admin account ${email} created; it must change its password at first sign-in`);
      // Printed once to the console on purpose: never to the structured log.
      if (generated)
        console.log(
          `\n  Admin sign-in: ${email} / ${password}\n  (generated because ADMIN_PASSWORD is unset; change it at first sign-in)\n`,
        );
    }
    return created;
  }
}
