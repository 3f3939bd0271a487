// Public API of @lockstep/cli: run the command line from code, and the types of its JSON output.
export { CliError, EXIT_CODES, type ExitCode } from './exit-codes.js';
export type { CliIo } from './io.js';
export type { HolderJson, InspectJson, LsJson, ReleaseJson, WaiterJson } from './json.js';
export { main } from './program.js';
