// Says what Redis refused, for the message of an ERR_REDIS: the command inside one of Lockstep's
// scripts (Redis 7.0 names neither) and where the rules Lockstep needs are documented.
import { LUA_SCRIPTS } from '../lua/scripts.generated.js';

/** Where a script error happened: `script: <sha>, on @user_script:<line>.` */
const SCRIPT_LINE = /script: ([0-9a-f]{40}), on @user_script:(\d+)/;

/** The Lockstep script with this SHA1 and the command it calls on `line`, when there is one. */
function scriptCommandAt(sha: string, line: number): { script: string; command: string | undefined } | undefined {
  const found = Object.entries(LUA_SCRIPTS).find(([, s]) => s.sha === sha);
  if (!found) return undefined;
  const [script, { source }] = found;
  const text = source.split('\n')[line - 1] ?? '';
  return { script, command: /redis\.p?call\('([A-Z]+)'/.exec(text)?.[1] };
}

/**
 * What to add to the message of a refusal: for a command refused inside one of Lockstep's
 * scripts, the script and the command (Redis 7.0 names neither); for any refusal, where the
 * rules Lockstep needs are documented.
 */
export function refusalHint(message: string): string {
  const at = SCRIPT_LINE.exec(message);
  const inScript = at ? scriptCommandAt(at[1] as string, Number(at[2])) : undefined;
  const where = inScript
    ? `${inScript.command ?? 'a command'} in Lockstep's script "${inScript.script}" was refused; `
    : '';
  return ` (${where}Redis refused this user: give it the rules in "Redis ACL users" of @lockstep/core's README)`;
}
