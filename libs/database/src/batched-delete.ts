import type { DataSource, EntityManager, ObjectLiteral, Repository } from 'typeorm';

export const DELETE_BATCH = 5000;

/**
 * Deletes the rows matching `condition` (SQL on the table's columns) in batches, so a large backlog never
 * holds one long lock or one long transaction, and requests never queue behind a purge. Returns the count.
 */
export async function deleteInBatches<T extends ObjectLiteral>(
  repository: Repository<T>,
  condition: string,
  parameters: ObjectLiteral,
  batch = DELETE_BATCH,
): Promise<number> {
  return deleteTableRowsInBatches(repository.manager, repository.metadata.tableName, condition, parameters, batch);
}

/**
 * The same on a table by name (e.g. one partition of a log). The condition is repeated outside the batch's
 * sub-select, so on a partitioned table the delete is pruned to the partitions it can touch. `stop` is asked
 * between batches (a shutdown need not wait for a whole backlog).
 */
export async function deleteTableRowsInBatches(
  db: DataSource | EntityManager,
  table: string,
  condition: string,
  parameters: ObjectLiteral,
  batch = DELETE_BATCH,
  stop: () => boolean = () => false,
): Promise<number> {
  let total = 0;
  for (;;) {
    const result = await db
      .createQueryBuilder()
      .delete()
      .from(table)
      .where(`(${condition}) AND id IN (SELECT id FROM ${table} WHERE ${condition} LIMIT :batch)`, { ...parameters, batch })
      .execute();
    const affected = result.affected ?? 0;
    total += affected;
    if (affected < batch || stop()) return total;
  }
}
