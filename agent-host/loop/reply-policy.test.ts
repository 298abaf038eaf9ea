import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { asksSomething, NO_LLM_PREFIX, replyDecision, type ReplyBudget } from './reply-policy.ts';

const budget: ReplyBudget = {
  sent: 0,
  sentToAutomated: 0,
  maxRepliesPerThread: 20,
  maxAutomatedRepliesPerThread: 2,
};
const person = (text: string) => ({ text, content: { text } });
const agent = (text: string) => ({ text, content: { text, automated: true } });

describe('reply policy', () => {
  it('answers a person always, within the thread limit', () => {
    assert.deepEqual(replyDecision(person('hello'), budget), { answer: true });
    assert.equal(replyDecision(person('hello'), { ...budget, sent: 20 }).answer, false);
  });

  it("answers another agent's automated reply only when it asks something, within the budget", () => {
    assert.deepEqual(replyDecision(agent('Done, the numbers are in.'), budget), {
      answer: false,
      reason: 'an automated reply that asks nothing',
    });
    assert.deepEqual(replyDecision(agent('Which quarter do you mean?'), budget), { answer: true });
    assert.equal(replyDecision(agent('Which quarter?'), { ...budget, sentToAutomated: 2 }).answer, false);
    assert.equal(replyDecision(agent('Which quarter?'), { ...budget, sent: 20 }).answer, false);
  });

  it('never answers topic deliveries or notes that the sender cannot think', () => {
    assert.equal(replyDecision({ ...person('news?'), topic: 'news' }, budget).answer, false);
    assert.equal(replyDecision(person(`${NO_LLM_PREFIX} bob cannot answer?`), budget).answer, false);
  });

  it('finds questions in prose, not in code', () => {
    for (const text of ['Can you check?', 'Is it "done?" now', 'Really?!', '(why?)', 'ok?\nthanks'])
      assert.equal(asksSomething(text), true, text);
    for (const text of ['Done.', 'See `a?.b` there', '```\nx ? y : z\n```', 'https://x.org/?q=1'])
      assert.equal(asksSomething(text), false, text);
  });
});
