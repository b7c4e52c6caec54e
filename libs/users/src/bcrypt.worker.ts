import bcrypt from 'bcrypt';

/** `ended` (shared with the caller) turns 1 once nobody waits for the answer: the check is then skipped. */
export type BcryptTask = (
  { op: 'hash'; password: string; rounds: number } | { op: 'compare'; password: string; hash: string }
) & {
  ended?: Int32Array;
};

/** One bcrypt call in one of PasswordService's pool threads, which run at a lower CPU priority than the event loop. */
export default function bcryptTask(task: BcryptTask): string | boolean | null {
  if (task.ended && Atomics.load(task.ended, 0) === 1) return null; // skipped
  return task.op === 'hash' ? bcrypt.hashSync(task.password, task.rounds) : bcrypt.compareSync(task.password, task.hash);
}
