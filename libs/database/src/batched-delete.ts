import type { ObjectLiteral, Repository } from 'typeorm';

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
  const table = repository.metadata.tableName;
  let total = 0;
  for (;;) {
    const result = await repository
      .createQueryBuilder()
      .delete()
      .where(`id IN (SELECT id FROM ${table} WHERE ${condition} LIMIT :batch)`, { ...parameters, batch })
      .execute();
    const affected = result.affected ?? 0;
    total += affected;
    if (affected < batch) return total;
  }
}
