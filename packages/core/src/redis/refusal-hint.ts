// Says what Redis refused, for the message of an ERR_REDIS: the command inside one of Lockstep's
// scripts (Redis 7.0 names neither) and where the rules Lockstep needs are documented. Takes the
// script's source from the caller, so modules that only word errors never load the scripts.

/** Where a script error happened: `script: <sha>, on @user_script:<line>.` */
const SCRIPT_LINE = /on @user_script:(\d+)/;

/** Set on a reply error refused inside a script: which command, in which script. */
const REFUSED_IN_SCRIPT = Symbol('lockstep.refusedInScript');

/**
 * Notes on `error` (a refusal inside `script`) the command the script runs on the line Redis
 * named, for {@link refusalHint}.
 *
 * @param source - the script's source as sent (its includes inlined)
 */
export function noteScriptRefusal(error: unknown, script: string, source: string): void {
  const message = (error as { message?: unknown } | undefined)?.message;
  const line = typeof message === 'string' ? SCRIPT_LINE.exec(message)?.[1] : undefined;
  if (line === undefined || typeof error !== 'object' || error === null) return;
  const text = source.split('\n')[Number(line) - 1] ?? '';
  const command = /redis\.p?call\('([A-Z]+)'/.exec(text)?.[1] ?? 'a command';
  Object.defineProperty(error, REFUSED_IN_SCRIPT, { value: `${command} in Lockstep's script "${script}"` });
}

/**
 * What to add to the message of a refusal: the command refused inside a script (when noted by
 * {@link noteScriptRefusal}) and where the rules Lockstep needs are documented.
 */
export function refusalHint(error: unknown): string {
  const inScript = (error as Record<symbol, unknown> | undefined)?.[REFUSED_IN_SCRIPT];
  const where = typeof inScript === 'string' ? `${inScript} was refused; ` : '';
  return ` (${where}Redis refused this user: give it the rules in "Redis ACL users" of @lockstep/core's README)`;
}
