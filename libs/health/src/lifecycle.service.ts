import { Injectable } from '@nestjs/common';

/** Process lifecycle flags that probes read: readiness flips to 503 the moment shutdown begins. */
@Injectable()
export class LifecycleService {
  private shuttingDown = false;
  readonly startedAt = Date.now();

  beginShutdown(): void {
    this.shuttingDown = true;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }
}
