import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PlexusError } from '../../../lib/errors.ts';
import { fillTemplates, type TemplateScope } from './template.ts';

const scope: TemplateScope = {
  input: { path: '/tmp', n: 3, tags: ['a', 'b'] },
  steps: { info: { structured: { cpus: { count: 2 }, name: 'box' }, text: 'two cpus' } },
};

test('a whole-string template keeps the value type; embedded ones render as text', () => {
  assert.deepEqual(
    fillTemplates(
      {
        n: '{{input.n}}',
        tags: '{{ input.tags }}',
        cpus: '{{steps.info.structured.cpus.count}}',
        line: 'host {{steps.info.structured.name}} has {{steps.info.structured.cpus}} ({{steps.info.text}})',
        nested: [{ p: '{{input.path}}/x' }],
        plain: 'no templates',
        num: 7,
      },
      scope,
    ),
    {
      n: 3,
      tags: ['a', 'b'],
      cpus: 2,
      line: 'host box has {"count":2} (two cpus)',
      nested: [{ p: '/tmp/x' }],
      plain: 'no templates',
      num: 7,
    },
  );
});

test('unknown roots, missing paths and prototype walks are refused with the field named', () => {
  const refused = (value: string) => {
    try {
      fillTemplates({ a: [value] }, scope);
    } catch (error) {
      assert.ok(error instanceof PlexusError);
      return `${error.code}@${error.field}`;
    }
    return 'filled';
  };
  assert.equal(refused('{{env.HOME}}'), 'template_invalid@arguments.a.0');
  assert.equal(refused('{{input.missing}}'), 'template_unresolved@arguments.a.0');
  assert.equal(refused('{{steps.nope.text}}'), 'template_unresolved@arguments.a.0');
  assert.equal(refused('{{input.__proto__}}'), 'template_invalid@arguments.a.0');
  assert.equal(refused('{{input.constructor}}'), 'template_invalid@arguments.a.0');
  assert.equal(refused('{{input.tags.length}}'), 'template_unresolved@arguments.a.0');
  assert.equal(refused('{{input.tags.0}}'), 'filled');
});
