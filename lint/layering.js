import { importX } from 'eslint-plugin-import-x';

// The import layers of Plexus, lowest first (CONTRIBUTING.md, "Import layering"). A folder may import its
// own layer and the layers before it; `bench/` and `test/` are never imported by product code.
export const layers = [
  ['schemas'],
  ['lib'],
  ['servers', 'sandbox'],
  ['hub', 'agent-host'],
  ['bin', 'scripts'],
];

const notProduct = ['bench', 'test'];

/** Tests, test helpers and benchmarks: they sit beside the code they exercise and may import anything. */
export const testAndBenchFiles = [
  'bench/**',
  'test/**',
  '**/*.test.ts',
  '**/*.bench.ts',
  '**/*.fixture.ts',
  '**/testing.ts',
  '**/test-support*.ts',
];

/** `import-x/no-restricted-paths` zones: for each folder, every folder above it (and bench, test). */
export const layeringZones = layers.flatMap((layer, index) => {
  const above = [...layers.slice(index + 1).flat(), ...notProduct];
  // Within one layer the two sides stay apart too (the hub and the agent host share through lib/).
  return layer.map((folder) => {
    const siblings = index >= 3 ? layer.filter((other) => other !== folder) : [];
    return {
      target: `./${folder}`,
      from: [...siblings, ...above].map((other) => `./${other}`),
      message: `${folder}/ may not import from a layer above it, nor bench/ or test/ (schemas → lib → servers, sandbox → hub, agent-host → bin, scripts); move the shared piece down (CONTRIBUTING.md, "Import layering").`,
    };
  });
});

/**
 * The ESLint config block `npm run lint` uses (eslint.config.js) and test/lint/layering.test.ts runs.
 * @type {import('eslint').Linter.Config}
 */
export const layeringConfig = {
  files: ['**/*.ts'],
  ignores: testAndBenchFiles,
  plugins: { 'import-x': importX },
  rules: { 'import-x/no-restricted-paths': ['error', { zones: layeringZones }] },
};
