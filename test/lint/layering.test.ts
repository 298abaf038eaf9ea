import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { layeringConfig } from '../../lint/layering.js';

/**
 * The layering rule of `npm run lint` (CONTRIBUTING.md, "Import layering"), run through ESLint's own API on
 * snippets placed at real paths of the repository: an upward import fails, a downward one passes.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
// The rule's own config block from eslint.config.js, with the TypeScript parser: the type-aware rules there
// would need each snippet to be a file of the TypeScript project.
const eslint = new ESLint({
  cwd: ROOT,
  overrideConfigFile: true,
  overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } }, layeringConfig],
});

async function layeringErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  assert.ok(result, 'ESLint returned a result');
  const fatal = result.messages.filter((message) => message.fatal);
  assert.deepEqual(fatal, [], 'the snippet parses');
  return result.messages
    .filter((message) => message.ruleId === 'import-x/no-restricted-paths')
    .map((message) => message.message);
}

const cases: { file: string; imports: string; upward: boolean }[] = [
  { file: 'schemas/probe.ts', imports: '../lib/log.ts', upward: true },
  { file: 'lib/probe.ts', imports: '../servers/catalog.ts', upward: true },
  { file: 'lib/mcp/probe.ts', imports: '../../hub/config.ts', upward: true },
  { file: 'servers/system/probe.ts', imports: '../../agent-host/config.ts', upward: true },
  { file: 'sandbox/probe.ts', imports: '../hub/config.ts', upward: true },
  { file: 'hub/probe.ts', imports: '../agent-host/config.ts', upward: true },
  { file: 'agent-host/probe.ts', imports: '../hub/config.ts', upward: true },
  { file: 'hub/probe.ts', imports: '../bin/plexus.ts', upward: true },
  { file: 'servers/llm/probe.ts', imports: '../../bench/harness.ts', upward: true },
  { file: 'agent-host/probe.ts', imports: '../test/helpers/ports.ts', upward: true },
  { file: 'lib/probe.ts', imports: '../schemas/common.ts', upward: false },
  { file: 'servers/system/probe.ts', imports: '../../lib/log.ts', upward: false },
  { file: 'hub/probe.ts', imports: '../servers/catalog.ts', upward: false },
  { file: 'agent-host/probe.ts', imports: '../sandbox/permissions.ts', upward: false },
  { file: 'bin/probe.ts', imports: '../hub/config.ts', upward: false },
  // Tests and benchmarks may reach anything.
  { file: 'lib/probe.test.ts', imports: '../test/helpers/ports.ts', upward: false },
  { file: 'bench/probe.ts', imports: '../test/fixtures/ollama-server.ts', upward: false },
];

for (const { file, imports, upward } of cases) {
  test(`${file} importing ${imports} is ${upward ? 'refused' : 'allowed'}`, async () => {
    const errors = await layeringErrors(file, `import * as probe from '${imports}';\nexport { probe };\n`);
    if (upward) {
      assert.equal(errors.length, 1, `one layering error, got ${JSON.stringify(errors)}`);
      assert.match(errors[0] ?? '', /move the shared piece down/);
    } else {
      assert.deepEqual(errors, []);
    }
  });
}
