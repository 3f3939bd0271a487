// ACL users on a private redis-server: the tests of Lockstep's documented ACL rules run as them.
import { LOOPBACK } from './ports.js';
import { rawCommand } from './redis-server.js';

/**
 * Runs `ACL SETUSER <rules>` as the default user (one line as typed at the redis-cli prompt,
 * without quoted arguments), e.g. `setAclUser(port, 'app reset on >pw ~{lockstep:* +evalsha')`.
 *
 * @throws Error with the server's reply when it is not `+OK`
 */
export async function setAclUser(port: number, rules: string): Promise<void> {
  const reply = await rawCommand(port, `ACL SETUSER ${rules}`);
  if (reply !== '+OK') throw new Error(`ACL SETUSER ${rules} answered ${reply}`);
}

/** `redis://user:password@127.0.0.1:port`, the user and password percent-encoded. */
export function aclUrl(port: number, user: string, password: string): string {
  return `redis://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${LOOPBACK}:${port}`;
}

/** How many entries the server's `ACL LOG` holds: every refused command or key is one (0 when none). */
export async function aclLogLength(port: number): Promise<number> {
  const reply = await rawCommand(port, 'ACL LOG');
  const match = /^\*(\d+)$/.exec(reply);
  if (!match) throw new Error(`ACL LOG answered ${reply}`);
  return Number(match[1]);
}
