// Recognises Redis refusing the user (an ACL rule missing, credentials refused): a configuration
// error that no retry can fix, unlike an outage.

/**
 * Replies that refuse the user rather than fail the command: `NOPERM` (a command, key or channel
 * its ACL rules do not allow), `WRONGPASS` and `NOAUTH` (credentials), and a command refused
 * inside a script, which Redis 7.0 words "The user executing the script can't ..." and 7.2+
 * "ACL failure in script: ...".
 */
const REFUSAL =
  /^(?:(?:NOPERM|WRONGPASS|NOAUTH)\b|ERR (?:The user executing the script can't|ACL failure in script)\b)/;

/** True when `message` (a Redis error reply) refuses the user: NOPERM, WRONGPASS, NOAUTH, or an ACL failure inside a script. */
export function isRefusalMessage(message: string): boolean {
  return REFUSAL.test(message);
}

/**
 * True when `error` (an ERR_REDIS or a reply) refused the command itself, its keys or the
 * credentials, so nothing of it ran; false for a command refused inside a script, after the
 * script's earlier writes (Redis does not undo them).
 */
export function refusedBeforeRunning(error: unknown): boolean {
  const cause = (error as { cause?: unknown } | undefined)?.cause ?? error;
  const message = (cause as { message?: unknown } | undefined)?.message;
  return (
    typeof message === 'string' && /^(?:NOPERM|WRONGPASS|NOAUTH)\b/.test(message) && !message.includes('@user_script')
  );
}
