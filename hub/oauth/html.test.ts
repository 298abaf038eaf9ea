import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeHtml, html } from './html.ts';

test('html fragments escape every interpolated value but nested fragments', () => {
  const name = `<script>alert("x")</script> & 'quotes'`;
  // prettier-ignore
  const fragment = html`<p title="${name}">${name} ${html`<b>${'<i>'}</b>`} ${[1, html`<br>`, null, false]}</p>`;
  assert.equal(
    fragment.text,
    '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;">' +
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39; <b>&lt;i&gt;</b> 1<br></p>',
  );
  assert.equal(escapeHtml('a&b'), 'a&amp;b');
});
