import bcrypt from 'bcrypt';

export type BcryptTask = { op: 'hash'; password: string; rounds: number } | { op: 'compare'; password: string; hash: string };

/** One bcrypt call in one of PasswordService's pool threads, which run at a lower CPU priority than the event loop. */
export default function bcryptTask(task: BcryptTask): string | boolean {
  return task.op === 'hash' ? bcrypt.hashSync(task.password, task.rounds) : bcrypt.compareSync(task.password, task.hash);
}
