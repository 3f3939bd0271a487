// Every scenario of the fault suite, in the order they run.
import { noFaults } from './s1-no-faults.js';
import type { ScenarioRun } from './scenario-run.js';

/** One scenario. */
export interface ScenarioDef {
  readonly id: string;
  readonly title: string;
  /** True when the scenario provokes violations on purpose and passes only if the checker flags them. */
  readonly expectFlags?: boolean;
  readonly run: (run: ScenarioRun) => Promise<void>;
}

/** The scenarios, by the numbering. */
export const SCENARIOS: readonly ScenarioDef[] = [
  { id: '1', title: 'lock and semaphore, 64 contenders each, no faults', run: noFaults },
];
