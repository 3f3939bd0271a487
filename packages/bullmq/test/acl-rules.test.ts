// The lockstep-bullmq line of core's "Redis ACL users" is the app's line plus exactly the commands
// this package's own scripts call that the app's do not: none missing, none to spare.
import { describe, expect, it } from 'vitest';
import { documentedCommands } from '../../core/test/support/acl-rules.js';
import { LUA_SCRIPTS } from '../src/lua/scripts.generated.js';

function scriptCommands(): Set<string> {
  const found = new Set<string>();
  for (const { source } of Object.values(LUA_SCRIPTS)) {
    for (const m of source.matchAll(/redis\.p?call\(\s*'([A-Za-z]+)'/g)) found.add((m[1] as string).toLowerCase());
  }
  return found;
}

describe('the documented lockstep-bullmq ACL rules', () => {
  it("are the app's rules plus the commands of this package's scripts", () => {
    const app = documentedCommands('lockstep-app');
    const extra = [...scriptCommands()].filter((c) => !app.includes(c));
    expect(documentedCommands('lockstep-bullmq').sort()).toEqual([...app, ...extra].sort());
  });
});
