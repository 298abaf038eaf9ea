// `plexus tool init|sign|test`: scaffold, sign and try out a sandboxed tool package.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateIdentityKeys } from '../lib/crypto/identity-keys.ts';
import { PlexusError } from '../lib/errors.ts';
import { loadIdentityFile } from '../lib/identity/identity-file.ts';
import { createLogger } from '../lib/log.ts';
import { authInfoFor, connectInProcess } from '../lib/mcp/in-process.ts';
import { toolErrorOf } from '../lib/mcp/result.ts';
import { MANIFEST_FILE, SandboxPolicy, type SandboxPolicyInput } from '../schemas/sandbox/tool-package.ts';
import { ToolManifest } from '../schemas/tool-manifest.ts';
import { createSandbox } from './component.ts';
import { readManifestJson, signToolPackage } from './loader.ts';

const USAGE = `usage:
  plexus tool init <dir> [--name <name>]
  plexus tool sign <dir> --identity <identity.json> [--passphrase-env <VAR>]
  plexus tool test <dir> --input '<json>' [--policy <policy.json>] [--data <dir>]`;

const SCAFFOLD_ENTRY = `// A Plexus sandboxed tool. It runs in an isolated-vm isolate: no process, require, or host globals.
// The second argument carries what plexus-tool.json asks for and policy grants:
//   ctx.fetch(url, init), ctx.fs.readFile/writeFile/readdir, ctx.kv.get/set/delete/list, ctx.log(...)
export default async function handler(input, ctx) {
  ctx.log('greeting', input.name);
  return { greeting: \`Hello, \${input.name}!\` };
}
`;

function scaffoldManifest(name: string): Record<string, unknown> {
  return {
    name,
    version: '0.1.0',
    description: 'Says hello',
    inputSchema: {
      type: 'object',
      properties: { name: { type: 'string', minLength: 1, maxLength: 100 } },
      required: ['name'],
      additionalProperties: false,
    },
    outputSchema: {
      type: 'object',
      properties: { greeting: { type: 'string' } },
      required: ['greeting'],
    },
    permissions: { fs: [], net: [], memoryMb: 16, timeMs: 1000 },
    entry: 'index.js',
  };
}

function toolNameFrom(dir: string): string {
  const base = path
    .basename(path.resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 40);
  return base || 'my-tool';
}

function init(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { name: { type: 'string' } },
  });
  const dir = positionals[0];
  if (!dir) throw new PlexusError('invalid', 'usage', USAGE);
  const name = values.name ?? toolNameFrom(dir);
  const parsedName = ToolManifest.shape.name.safeParse(name);
  if (!parsedName.success)
    throw new PlexusError('invalid', 'invalid_name', `--name: ${parsedName.error.issues[0]?.message}`);
  const manifestPath = path.join(dir, MANIFEST_FILE);
  if (existsSync(manifestPath))
    throw new PlexusError('conflict', 'package_exists', `${manifestPath} already exists`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(manifestPath, JSON.stringify(scaffoldManifest(name), null, 2) + '\n');
  const entryPath = path.join(dir, 'index.js');
  if (!existsSync(entryPath)) writeFileSync(entryPath, SCAFFOLD_ENTRY);
  console.error(
    `created ${manifestPath} and ${entryPath}; edit them, then: plexus tool sign ${dir} --identity <identity.json>`,
  );
  return 0;
}

async function sign(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { identity: { type: 'string' }, 'passphrase-env': { type: 'string' } },
  });
  const dir = positionals[0];
  if (!dir || !values.identity) throw new PlexusError('invalid', 'usage', USAGE);
  const passphraseVar = values['passphrase-env'] ?? 'PLEXUS_PASSPHRASE';
  const passphrase = process.env[passphraseVar];
  const identity = loadIdentityFile(values.identity, passphrase !== undefined ? { passphrase } : {});
  const signed = await signToolPackage(dir, {
    did: identity.did,
    secretKey: identity.keys.signing.secretKey,
  });
  process.stdout.write(
    JSON.stringify({
      name: signed.name,
      version: signed.version,
      author: signed.author,
      entrySha256: signed.entrySha256,
    }) + '\n',
  );
  return 0;
}

/** A policy granting exactly what the manifest asks: the author testing their own tool is the operator. */
function authorPolicy(manifest: Record<string, unknown>, workspace: string): SandboxPolicyInput {
  const parsed = ToolManifest.shape.permissions.safeParse(manifest['permissions']);
  if (!parsed.success)
    throw new PlexusError('invalid', 'manifest_invalid', `permissions: ${parsed.error.issues[0]?.message}`);
  const p = parsed.data;
  return {
    workspace,
    defaults: {
      fs: p.fs,
      net: p.net,
      kv: p.kv ?? false,
      wasm: p.wasm ?? false,
      memoryMb: p.memoryMb,
      timeMs: p.timeMs,
    },
  };
}

async function testTool(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { input: { type: 'string' }, policy: { type: 'string' }, data: { type: 'string' } },
  });
  const dir = positionals[0];
  if (!dir) throw new PlexusError('invalid', 'usage', USAGE);
  let input: unknown;
  try {
    input = JSON.parse(values.input ?? '{}');
  } catch (error) {
    throw new PlexusError('invalid', 'invalid_input', `--input: not JSON: ${(error as Error).message}`);
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new PlexusError('invalid', 'invalid_input', '--input: must be a JSON object');
  }
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'plexus-tool-test-'));
  try {
    const manifest = await readManifestJson(dir);
    const toolsDir = path.join(scratch, 'tools');
    const copy = path.join(toolsDir, 'tool');
    cpSync(dir, copy, { recursive: true, dereference: false });
    if (manifest['signature'] === undefined) {
      // Unsigned work in progress: sign a scratch copy with a throwaway key so it runs exactly as a signed one.
      const keys = generateIdentityKeys();
      await signToolPackage(copy, { did: keys.did, secretKey: keys.signing.secretKey });
      console.error('note: the package is unsigned; testing a copy signed with a throwaway key');
    }
    const policy = values.policy
      ? SandboxPolicy.parse(JSON.parse(readFileSync(values.policy, 'utf8')))
      : authorPolicy(manifest, process.cwd());
    const sandbox = await createSandbox(
      { toolsDir, policy, workers: 1, watch: false },
      {
        dataDir: values.data ?? path.join(scratch, 'data'),
        log: createLogger({ name: 'sandbox', level: 'warn' }),
      },
    );
    try {
      const failure = sandbox.registry.failures()[0];
      if (failure) throw new PlexusError('forbidden', failure.code, failure.message);
      const name = [...sandbox.registry.tools().keys()][0];
      if (!name) throw new PlexusError('not_found', 'no_tool', `no tool loaded from ${dir}`);
      const client = await connectInProcess(sandbox.createServer(), {
        authInfo: authInfoFor('operator:cli', ['read', 'write']),
      });
      try {
        const result = await client.callTool({ name, arguments: input as Record<string, unknown> });
        const error = toolErrorOf(result);
        if (error) {
          console.error(JSON.stringify({ error }));
          return 1;
        }
        process.stdout.write(JSON.stringify(result.structuredContent ?? null, null, 2) + '\n');
        return 0;
      } finally {
        await client.close();
      }
    } finally {
      await sandbox.close();
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export async function run(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  try {
    switch (verb) {
      case 'init':
        return init(rest);
      case 'sign':
        return await sign(rest);
      case 'test':
        return await testTool(rest);
      default:
        console.error(USAGE);
        return verb === undefined || verb === '--help' ? 0 : 2;
    }
  } catch (error) {
    if (error instanceof PlexusError) {
      console.error(
        JSON.stringify({
          error: { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) },
        }),
      );
      return error.code === 'usage' ? 2 : 1;
    }
    throw error;
  }
}
