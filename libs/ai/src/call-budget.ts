/**
 * One chat's time budget and cancellation: a single signal that aborts when the deadline passes or
 * the caller goes away, remembering which of the two happened.
 */
export class CallBudget {
  readonly deadline: number;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly onCallerAbort = (): void => this.abort('cancelled');
  private reason?: 'timeout' | 'cancelled';

  constructor(
    timeoutMs: number,
    private readonly caller?: AbortSignal,
  ) {
    this.deadline = Date.now() + timeoutMs;
    this.timer = setTimeout(() => this.abort('timeout'), timeoutMs);
    if (caller?.aborted) this.abort('cancelled');
    else caller?.addEventListener('abort', this.onCallerAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get remainingMs(): number {
    return Math.max(0, this.deadline - Date.now());
  }

  /** Why the signal aborted, if it did. */
  get abortedBy(): 'timeout' | 'cancelled' | undefined {
    return this.reason;
  }

  /** Stops the clock and aborts whatever still listens (a provider stream the consumer walked away from). */
  dispose(): void {
    clearTimeout(this.timer);
    this.caller?.removeEventListener('abort', this.onCallerAbort);
    if (!this.controller.signal.aborted) this.controller.abort(new Error('chat finished'));
  }

  private abort(reason: 'timeout' | 'cancelled'): void {
    if (this.controller.signal.aborted) return;
    this.reason = reason;
    clearTimeout(this.timer);
    this.controller.abort(new Error(reason === 'timeout' ? 'AI request timed out' : 'AI request cancelled by the client'));
  }
}
