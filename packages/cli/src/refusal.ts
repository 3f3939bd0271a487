// Redis refusing the --redis user (an ACL rule missing, credentials refused) is a bad option value
// (exit 2) that says what the user may not do and where the rules it needs are: never an outage
// (exit 3), since no retry can fix it.
import { isRedisRefusal } from '@lockstep/core';
import { CliError, EXIT_CODES } from './exit-codes.js';

/** Where the rules are: the admin user's line in core's README. */
const RULES = `give it the lockstep-admin rules of "Redis ACL users" in @lockstep/core's README`;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * What the user may not do, from Redis' reply (`NOPERM ... run the 'scan' command`), or, for a
 * command refused inside a script (which Redis 7.0 does not name), from core's message.
 */
function refusedWhat(reply: string, message: string, prefix: string): string {
  const command = /run the '([^']+)' command/.exec(reply)?.[1];
  if (command) return `may not run ${command.toUpperCase()}`;
  const inScript = /(\w+) in Lockstep's script "(\w+)" was refused/.exec(message);
  if (inScript) return `may not run ${inScript[1]} (called by Lockstep's script "${inScript[2]}")`;
  if (/channel/i.test(reply)) return `may not use the channels of prefix "${prefix}" ({${prefix}:*)`;
  if (/\bkeys?\b/i.test(reply)) return `may not use the keys of prefix "${prefix}" ({${prefix}:*)`;
  if (/^WRONGPASS/.test(reply)) return 'is refused its credentials';
  if (/^NOAUTH/.test(reply)) return 'needs a password (redis://user:password@host)';
  return 'is refused';
}

/**
 * The exit-2 error of a refusal (an `ERR_REDIS` marked `refused`, or Redis' own reply), or
 * undefined for any other error.
 *
 * @param where - `host:port` of the `--redis` URL
 * @param prefix - the Lockstep prefix (a refused key names it)
 */
export function refusalError(err: unknown, where: string, prefix: string): CliError | undefined {
  if (!isRedisRefusal(err)) return undefined;
  const reply = messageOf((err as { cause?: unknown }).cause ?? err);
  const what = refusedWhat(reply, messageOf(err), prefix);
  return new CliError(EXIT_CODES.usage, `--redis: Redis at ${where} refused the user: it ${what} (${reply}); ${RULES}`);
}
