// Turns src/lua/*.lua (with `--@include name` lines resolved from src/lua/includes) into the
// git-ignored module src/lua/scripts.generated.ts, so scripts ship inside the bundle and are never
// read from disk at run time.
//
// Includes are libraries of Lua functions that take what they need as parameters; an include may
// include others, and each is inlined once per script, where its first `--@include` line stands.
// Only the library functions a script uses (directly or through other functions) are kept: every
// call of a script defines its functions anew, so unused ones would cost each call.
// src/lua/codes.json (optional) names the reply codes and shared constants once: each script gets
// a prelude declaring the names it uses (`local GRANTED = 1`), and the module exports the codes
// as STATUS, so TypeScript switches on `STATUS.granted`, never on `1`.
//
// Usage: node scripts/generate-lua.mjs [packageDir]
// packageDir (default: this script's package, @lockstep/core) is the package whose src/lua/ is
// turned into TypeScript and whose package.json gives PACKAGE_VERSION. Other packages with Lua
// scripts (@lockstep/bullmq) call this one generator with their own directory.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
const luaDir = join(root, 'src', 'lua');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

const FN_START = '@@fn ';
const FN_END = '@@end\n';

// Wraps each top-level `local function name(...)` ... `end` of an include (with the comment lines
// right above it) in markers, so shake() can drop it when unused.
function markFunctions(library) {
  return library.replace(/((?:^--(?!\[\[).*\n)*)^local function (\w+)\(([\s\S]*?)^end\n/gm, (block, _c, name) => {
    return `${FN_START}${name}\n${block}${FN_END}`;
  });
}

function resolveIncludes(source, seen = new Set()) {
  return source.replace(/^--@include (\S+)\s*$/gm, (_, name) => {
    if (seen.has(name)) return '';
    seen.add(name);
    return resolveIncludes(markFunctions(readFileSync(join(luaDir, 'includes', `${name}.lua`), 'utf8')), seen);
  });
}

// Lua source without its comments, for finding the names it uses.
function code(source) {
  return source.replace(/--\[(=*)\[[\s\S]*?\]\1\]/g, '').replace(/--.*$/gm, '');
}

function uses(source, name) {
  return new RegExp(`\\b${name}\\b`).test(code(source));
}

// Drops the library functions the script does not reach from its own code.
function shake(source) {
  const parts = source.split(FN_START);
  const functions = [];
  let rest = parts[0];
  for (const part of parts.slice(1)) {
    const end = part.indexOf(FN_END);
    const name = part.slice(0, part.indexOf('\n'));
    functions.push({ name, text: part.slice(name.length + 1, end), live: false });
    rest += `@@${functions.length - 1}@@${part.slice(end + FN_END.length)}`;
  }
  let live = rest;
  for (let changed = true; changed; ) {
    changed = false;
    for (const fn of functions) {
      if (!fn.live && uses(live, fn.name)) {
        fn.live = true;
        live += fn.text;
        changed = true;
      }
    }
  }
  return rest.replace(/@@(\d+)@@/g, (_, i) => (functions[Number(i)].live ? functions[Number(i)].text : ''));
}

function upperSnake(name) {
  return name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
}

// name -> [value, doc] for the codes (camelCase in TypeScript, UPPER_SNAKE in Lua) and constants.
const codesFile = join(luaDir, 'codes.json');
const codes = existsSync(codesFile) ? JSON.parse(readFileSync(codesFile, 'utf8')) : {};
const status = Object.entries(codes.status ?? {});
const luaNames = new Map([
  ...status.map(([name, [value]]) => [upperSnake(name), value]),
  ...Object.entries(codes.constants ?? {}).map(([name, [value]]) => [name, value]),
]);

// Declares the named codes and constants this script uses, before its first line. `NAME_DIGITS`
// is constant NAME as a string, for redis.call arguments: Redis prints a Lua number argument with
// "%.17g" (glibc's float printer), which costs more than the Redis call's own work for a short one.
function prelude(source) {
  const declared = [...luaNames].flatMap(([name, value]) => [
    [name, `${value}`],
    [`${name}_DIGITS`, `'${value}'`],
  ]);
  const used = declared.filter(([name]) => uses(source, name));
  return used.map(([name, value]) => `local ${name} = ${value}\n`).join('') + source;
}

function camel(name) {
  return name.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
}

const entries = [];
for (const file of readdirSync(luaDir).sort()) {
  const match = /^(.+)-(\d+)\.lua$/.exec(file);
  if (!match) continue;
  const [, base, keys] = match;
  const source = prelude(shake(resolveIncludes(readFileSync(join(luaDir, file), 'utf8'))));
  const sha = createHash('sha1').update(source).digest('hex');
  entries.push({ key: camel(base), keys: Number(keys), source, sha });
}

const lines = [
  '// Generated by packages/core/scripts/generate-lua.mjs from src/lua/*.lua. Do not edit; do not commit.',
  `export const PACKAGE_VERSION = ${JSON.stringify(pkg.version)};`,
  '',
  '/** One Lua script: its key count and source. */',
  'export interface LuaScript {',
  '  readonly keys: number;',
  '  readonly sha: string;',
  '  readonly source: string;',
  '}',
  '',
  'export const LUA_SCRIPTS = {',
  ...entries.map(
    (e) => `  ${e.key}: { keys: ${e.keys}, sha: ${JSON.stringify(e.sha)}, source: ${JSON.stringify(e.source)} },`,
  ),
  '} as const satisfies Record<string, LuaScript>;',
  '',
];
if (status.length > 0) {
  lines.push(
    "/** The scripts' reply codes, named once in src/lua/codes.json (several replies share a value). */",
    'export const STATUS = {',
    ...status.flatMap(([name, [value, doc]]) => [`  /** ${doc} */`, `  ${name}: ${value},`]),
    '} as const;',
    '',
  );
}
writeFileSync(join(luaDir, 'scripts.generated.ts'), lines.join('\n'));
console.log(`generated ${entries.length} scripts: ${entries.map((e) => e.key).join(', ')}`);
