import { Injectable, Logger, Optional, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import type { Counter } from 'prom-client';
import { DataSource, type QueryRunner } from 'typeorm';
import { MetricsService, retentionDeletions, retentionDroppedPartitions } from '@gad/observability';
import { deleteTableRowsInBatches } from './batched-delete.js';

const DAY_MS = 24 * 3600 * 1000;
/** Partitions kept ready beyond the current month. */
const MONTHS_AHEAD = 2;
/** How long a detach may wait for its locks: it needs the parent exclusively, and readers queue behind it. */
export const PARTITION_LOCK_TIMEOUT = '2s';

/** The first instant of the UTC calendar month of `date`. */
export const monthStart = (date: Date): Date => new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1));
export const addMonths = (month: Date, n: number): Date => new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + n, 1));
/** `audit_logs` → `audit_logs_p2026_12` for December 2026. */
export const partitionName = (table: string, month: Date): string =>
  `${table}_p${month.getUTCFullYear()}_${String(month.getUTCMonth() + 1).padStart(2, '0')}`;

/** lock_not_available: lock_timeout expired. */
function isLockTimeout(error: unknown): boolean {
  const e = error as { code?: string; driverError?: { code?: string } };
  return (e.code ?? e.driverError?.code) === '55P03';
}

/** The month a partition of `table` covers, from its name; null for a name this code did not give. */
function monthOfPartition(table: string, name: string): Date | null {
  const match = new RegExp(`^${table}_p(\\d{4})_(\\d{2})$`).exec(name);
  return match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1)) : null;
}

export interface PartitionedLog {
  /** The parent table, range-partitioned on created_at with one partition per UTC month. */
  table: string;
  retentionDays: number;
}

/** What one run did to one log. */
export interface PartitionRun {
  table: string;
  created: string[];
  dropped: string[];
  /** Rows deleted from the partition the cutoff falls in. */
  trimmed: number;
  /** A partition could not be dropped this time (its lock was busy, or another replica was at work). */
  deferred: boolean;
  error?: string;
}

/**
 * Monthly partitions of the append-only logs (each feature registers its table and retention): at boot and
 * hourly, creates the partitions ahead, drops every partition wholly past the retention (detach and drop in
 * one transaction, under a short lock_timeout) and trims the partition the cutoff falls in with bounded
 * batched deletes, so no row older than the retention survives a run.
 *
 * Every replica runs it. The DDL is serialized by a transaction-level advisory lock per table (taken with
 * pg_try_…: a replica that finds it held leaves the work to the holder) and re-reads the catalog under it;
 * the trim is idempotent, so replicas may overlap there. A run that dies anywhere leaves each partition
 * either attached with all its rows or gone: the next run finishes the work.
 */
@Injectable()
export class MonthlyPartitions implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Partitions');
  private readonly logs: PartitionedLog[] = [];
  private readonly deletions?: Counter<'table'>;
  private readonly drops?: Counter<'table'>;
  private running?: Promise<PartitionRun[]>;
  private stopping = false;

  constructor(
    private readonly dataSource: DataSource,
    @Optional() metrics?: MetricsService,
  ) {
    this.deletions = metrics && retentionDeletions(metrics);
    this.drops = metrics && retentionDroppedPartitions(metrics);
  }

  /** Called by a feature module (onModuleInit) for its log. */
  register(log: PartitionedLog): void {
    if (!/^[a-z_][a-z0-9_]*$/.test(log.table)) throw new Error(`not a plain table name: ${log.table}`);
    if (!(log.retentionDays >= 1)) throw new Error(`retention of ${log.table} must be at least a day`);
    this.logs.push(log);
  }

  /** At boot, without holding the boot up: no request waits on maintenance. */
  onApplicationBootstrap(): void {
    void this.scheduledRun();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.running?.catch(() => undefined);
  }

  @Cron(CronExpression.EVERY_HOUR, { name: 'monthly-partitions' })
  async scheduledRun(): Promise<void> {
    if (this.running || this.stopping) return; // the previous run is still at work
    try {
      await this.run();
    } catch (error) {
      this.logger.error({ err: (error as Error).message }, 'partition maintenance failed; will retry next hour');
    }
  }

  /** The run in flight, if any (tests wait for the one started at boot). */
  settled(): Promise<unknown> {
    return this.running?.catch(() => undefined) ?? Promise.resolve();
  }

  /** One run over every registered log; a log's failure is logged and reported, never thrown. */
  run(now = new Date()): Promise<PartitionRun[]> {
    const run = (async () => {
      const results: PartitionRun[] = [];
      for (const log of this.logs) {
        if (this.stopping) break;
        const result: PartitionRun = { table: log.table, created: [], dropped: [], trimmed: 0, deferred: false };
        try {
          await this.maintain(log, now, result);
        } catch (error) {
          result.error = (error as Error).message;
          this.logger.error({ table: log.table, err: result.error }, 'partition maintenance failed; will retry next hour');
        }
        results.push(result);
      }
      return results;
    })();
    this.running = run;
    return run.finally(() => {
      if (this.running === run) this.running = undefined;
    });
  }

  private async maintain(log: PartitionedLog, now: Date, result: PartitionRun): Promise<void> {
    const current = monthStart(now);
    const attached = await this.attachedPartitions(log.table);

    const missing: Date[] = [];
    for (let i = 0; i <= MONTHS_AHEAD; i++) {
      const month = addMonths(current, i);
      if (!attached.has(partitionName(log.table, month))) missing.push(month);
    }
    if (missing.length > 0) {
      const created = await this.locked(log.table, async (q) => {
        for (const month of missing) {
          await q.query(
            `CREATE TABLE IF NOT EXISTS ${partitionName(log.table, month)} PARTITION OF ${log.table}
             FOR VALUES FROM ('${month.toISOString()}') TO ('${addMonths(month, 1).toISOString()}')`,
          );
        }
      }).catch((error: unknown) => {
        if (!isLockTimeout(error)) throw error;
        this.logger.warn(
          { table: log.table },
          `partitions ahead not created: busy for ${PARTITION_LOCK_TIMEOUT}; will retry next hour`,
        );
        return 'busy' as const;
      });
      if (created === 'busy') result.deferred = true;
      else result.created.push(...missing.map((m) => partitionName(log.table, m)));
    }
    if (result.created.length > 0) this.logger.log({ table: log.table, partitions: result.created }, 'created partitions ahead');

    const cutoff = new Date(now.getTime() - log.retentionDays * DAY_MS);
    const expired = [...attached.entries()]
      .filter(([, month]) => addMonths(month, 1) <= cutoff)
      .sort(([, a], [, b]) => a.getTime() - b.getTime());
    for (const [partition] of expired) {
      if (this.stopping) return;
      const outcome = await this.drop(log.table, partition);
      if (outcome === 'busy') {
        result.deferred = true;
        break; // oldest first; the rest wait for the next run
      }
      if (outcome === 'dropped') result.dropped.push(partition);
    }

    const boundary = partitionName(log.table, monthStart(cutoff));
    if (attached.has(boundary) && !this.stopping) {
      result.trimmed = await deleteTableRowsInBatches(
        this.dataSource,
        boundary,
        'created_at < :cutoff',
        { cutoff },
        undefined,
        () => this.stopping,
      );
      this.deletions?.inc({ table: log.table }, result.trimmed);
      if (result.trimmed > 0) {
        this.logger.log({ table: log.table, partition: boundary, rows: result.trimmed, cutoff: cutoff.toISOString() }, 'trimmed');
      }
    }
  }

  /** Detaches and drops one partition in one transaction; 'busy' when a lock could not be had in time. */
  private async drop(table: string, partition: string): Promise<'dropped' | 'gone' | 'busy'> {
    let estimate: number | 'gone' | 'busy';
    try {
      estimate = await this.locked(table, async (q) => {
        // re-read under the lock: another replica may have dropped it since we listed
        const [row]: { rows: string }[] = await q.query(
          `SELECT c.reltuples::bigint AS rows FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
           WHERE i.inhrelid = to_regclass($1) AND i.inhparent = to_regclass($2)`,
          [partition, table],
        );
        if (!row) return 'gone' as const;
        await q.query(`ALTER TABLE ${table} DETACH PARTITION ${partition}`);
        await q.query(`DROP TABLE ${partition}`);
        return Number(row.rows);
      });
    } catch (error) {
      if (!isLockTimeout(error)) throw error;
      this.logger.warn({ table, partition }, `partition busy for ${PARTITION_LOCK_TIMEOUT}; will retry next hour`);
      return 'busy';
    }
    if (typeof estimate !== 'number') return estimate;
    this.drops?.inc({ table });
    // reltuples is the planner's estimate (-1 before the first ANALYZE): counting would read the whole month
    this.logger.log({ table, partition, estimated_rows: Math.max(0, estimate) }, 'dropped partition past retention');
    return 'dropped';
  }

  /** `work` in a transaction holding this table's advisory lock, under a short lock_timeout; 'busy' when another holds it. */
  private async locked<T>(table: string, work: (q: QueryRunner) => Promise<T>): Promise<T | 'busy'> {
    const q = this.dataSource.createQueryRunner();
    await q.connect();
    try {
      await q.startTransaction();
      try {
        await q.query(`SET LOCAL lock_timeout = '${PARTITION_LOCK_TIMEOUT}'`);
        const [{ locked }]: { locked: boolean }[] = await q.query(`SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked`, [
          `gad.monthly-partitions.${table}`,
        ]);
        if (!locked) {
          await q.rollbackTransaction();
          return 'busy';
        }
        const value = await work(q);
        await q.commitTransaction();
        return value;
      } catch (error) {
        if (q.isTransactionActive) await q.rollbackTransaction().catch(() => undefined);
        throw error;
      }
    } finally {
      await q.release();
    }
  }

  /** Partitions attached to `table` that follow the naming, by name → month. */
  private async attachedPartitions(table: string): Promise<Map<string, Date>> {
    const rows: { name: string }[] = await this.dataSource.query(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass($1)`,
      [table],
    );
    const partitions = new Map<string, Date>();
    for (const { name } of rows) {
      const month = monthOfPartition(table, name);
      if (month) partitions.set(name, month);
    }
    return partitions;
  }
}
