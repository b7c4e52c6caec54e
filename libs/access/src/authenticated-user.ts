import type { Role } from './roles.js';

/** Who is calling: what the JWT guard puts on the request after checking the token, the user and the session. */
export interface AuthenticatedUser {
  id: string;
  email: string;
  fullName: string;
  roles: Role[];
  isSuperuser: boolean;
  mustChangePassword: boolean;
  /** When the account was created and last changed (ISO 8601), so the caller's own record needs no second read. */
  createdAt: string;
  updatedAt: string;
  /** The session (refresh-token family) the access token was issued under. */
  sessionId: string;
  /** Access-token expiry, epoch seconds. */
  tokenExpiresAt: number;
}

/** A superuser has every role's rights. */
export function hasRole(user: Pick<AuthenticatedUser, 'roles' | 'isSuperuser'>, ...roles: Role[]): boolean {
  return user.isSuperuser || roles.some((role) => user.roles.includes(role));
}

export function isAdmin(user: Pick<AuthenticatedUser, 'roles' | 'isSuperuser'>): boolean {
  return hasRole(user, 'admin');
}
