// Options of lockstepDashboard(): validated once, when the handler is created.
import type { IncomingMessage } from 'node:http';
import {
  assertKnownOptions,
  describeValue,
  InvalidArgumentError,
  type Lockstep,
  type LockstepAdmin,
  type NameKind,
} from '@lockstep/core';

/** What the dashboard uses of a `LockstepAdmin` (structural, so any copy of core fits). */
export type DashboardAdmin = Pick<LockstepAdmin, 'prefix' | 'list' | 'inspect' | 'forceRelease' | 'rates'>;

/** A force release someone asked for on the page, as `onAction` receives it. */
export interface DashboardAction {
  readonly type: 'force-release';
  readonly kind: NameKind;
  readonly name: string;
  /** The holder's fence, or null for every holder. */
  readonly fence: number | null;
  /** The HTTP request (your auth middleware's user is usually on it). */
  readonly req: IncomingMessage;
}

/** Options of {@link lockstepDashboard}. */
export interface DashboardOptions {
  /** The Lockstep whose prefix and client the page shows (single Redis or Cluster). Or pass `admin`. */
  readonly lockstep?: Pick<Lockstep, 'admin'> | { admin(): DashboardAdmin } | undefined;
  /** A `LockstepAdmin`, instead of `lockstep`. */
  readonly admin?: DashboardAdmin | undefined;
  /**
   * Offers "force release" on the page. Off by default: the page is read-only.
   *
   * @defaultValue `false`
   */
  readonly allowActions?: boolean | undefined;
  /**
   * Audit hook, awaited before each force release runs. If it throws or rejects, the release is refused
   * (HTTP 500), so nothing happens unaudited.
   */
  readonly onAction?: ((action: DashboardAction) => unknown) | undefined;
  /**
   * How often the page is updated over Server-Sent Events, ms (100 to 60,000).
   *
   * @defaultValue `1_000`
   */
  readonly intervalMs?: number | undefined;
}

/** Validated options. */
export interface ResolvedDashboardOptions {
  readonly admin: DashboardAdmin;
  readonly allowActions: boolean;
  readonly onAction: ((action: DashboardAction) => unknown) | undefined;
  readonly intervalMs: number;
}

const KNOWN = ['lockstep', 'admin', 'allowActions', 'onAction', 'intervalMs'];

/**
 * Validates the options before any I/O.
 *
 * @throws {@link InvalidArgumentError} `ERR_INVALID_ARGUMENT`
 */
export function resolveDashboardOptions(options: DashboardOptions): ResolvedDashboardOptions {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError('Expected lockstepDashboard options to be an object, e.g. { lockstep }');
  }
  assertKnownOptions(options, KNOWN, 'lockstepDashboard() options');
  const { lockstep, admin, allowActions = false, onAction, intervalMs = 1_000 } = options;
  if ((lockstep === undefined) === (admin === undefined)) {
    throw new InvalidArgumentError('Expected exactly one of `lockstep` or `admin` in lockstepDashboard options');
  }
  if (lockstep !== undefined && typeof (lockstep as { admin?: unknown } | null)?.admin !== 'function') {
    throw new InvalidArgumentError('Expected `lockstep` to be a Lockstep instance');
  }
  if (admin !== undefined && !isAdmin(admin)) {
    throw new InvalidArgumentError('Expected `admin` to be a LockstepAdmin instance');
  }
  if (typeof allowActions !== 'boolean') {
    throw new InvalidArgumentError(`Expected \`allowActions\` to be a boolean, got ${describeValue(allowActions)}`);
  }
  if (onAction !== undefined && typeof onAction !== 'function') {
    throw new InvalidArgumentError(`Expected \`onAction\` to be a function, got ${describeValue(onAction)}`);
  }
  if (!Number.isInteger(intervalMs) || intervalMs < 100 || intervalMs > 60_000) {
    throw new InvalidArgumentError(
      `Expected \`intervalMs\` to be an integer from 100 to 60000, got ${describeValue(intervalMs)}`,
    );
  }
  const resolved = admin ?? (lockstep as { admin(): unknown }).admin();
  if (!isAdmin(resolved)) {
    throw new InvalidArgumentError(
      'Expected `lockstep` to be a Lockstep instance (its admin() is not a LockstepAdmin)',
    );
  }
  return { admin: resolved, allowActions, onAction, intervalMs };
}

// Everything the handler calls, checked now rather than on the first request.
function isAdmin(value: unknown): value is DashboardAdmin {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.prefix === 'string' &&
    ['list', 'inspect', 'forceRelease', 'rates'].every((method) => typeof v[method] === 'function')
  );
}
