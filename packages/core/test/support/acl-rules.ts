// The `ACL SETUSER` lines the core README documents ("Redis ACL users"), read from the README
// itself so the tests run as exactly what users copy.
import { readFileSync } from 'node:fs';
import { aclUrl, setAclUser } from '@lockstep/test-utils';
import { Redis, type RedisOptions } from 'ioredis';

/** The documented users. */
export type AclRole = 'lockstep-app' | 'lockstep-admin' | 'lockstep-bullmq';

/** The password the documented lines carry (users replace it). */
export const ACL_PASSWORD = 'CHANGE-ME';

const README = new URL('../../README.md', import.meta.url);

/** The rules of `role` as documented, after `ACL SETUSER ` (the user name first). */
export function documentedRules(role: AclRole): string {
  const readme = readFileSync(README, 'utf8');
  const section = readme.slice(readme.indexOf('## Redis ACL users'));
  const line = section.split('\n').find((l) => l.startsWith(`ACL SETUSER ${role} `));
  if (!line) throw new Error(`the README has no ACL SETUSER line for ${role}`);
  return line.slice('ACL SETUSER '.length);
}

/** The commands `role`'s documented rules allow (`+name`), lower case, in the documented order. */
export function documentedCommands(role: AclRole): string[] {
  return documentedRules(role)
    .split(' ')
    .filter((rule) => rule.startsWith('+'))
    .map((rule) => rule.slice(1).toLowerCase());
}

/**
 * Creates (or resets) a user on the server at `port` with `role`'s documented rules followed by
 * `extra` (applied after them, so `-evalsha` takes a permission away), under the name `user`.
 */
export async function createAclUser(port: number, role: AclRole, user: string = role, extra = ''): Promise<void> {
  const rules = documentedRules(role).replace(/^\S+/, user);
  await setAclUser(port, extra ? `${rules} ${extra}` : rules);
}

/** A client logged in as `user` (documented password), errors swallowed (the tests read them elsewhere). */
export function clientAs(port: number, user: string, options: RedisOptions = {}): Redis {
  // CLIENT SETINFO is left out, as the README says, so the server's ACL LOG records only what
  // Lockstep itself was refused.
  const client = new Redis(aclUrl(port, user, ACL_PASSWORD), { disableClientInfo: true, ...options });
  client.on('error', () => undefined);
  return client;
}
