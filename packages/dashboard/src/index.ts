// Public API of @lockstep/dashboard.
export { type DashboardHandler, lockstepDashboard } from './handler.js';
export type { DashboardAction, DashboardAdmin, DashboardOptions } from './options.js';
export type { Selection, Snapshot } from './snapshot.js';
