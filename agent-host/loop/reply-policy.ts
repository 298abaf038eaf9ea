import type { JsonValue } from '../../schemas/common.ts';

/** Replies that say the agent cannot think start with this; the loop never answers them (no ping-pong). */
export const NO_LLM_PREFIX = '[no LLM available]';

export interface ReplyBudget {
  /** Replies the loop sent in the thread so far. */
  sent: number;
  /** Of those, replies to other agents' automated messages. */
  sentToAutomated: number;
  maxRepliesPerThread: number;
  maxAutomatedRepliesPerThread: number;
}

export type ReplyDecision = { answer: true } | { answer: false; reason: string };

/** Whether the sender's brain wrote the message on its own (set inside the seal by the sending agent). */
export function isAutomated(content: JsonValue): boolean {
  return (
    typeof content === 'object' &&
    content !== null &&
    !Array.isArray(content) &&
    content['automated'] === true
  );
}

/** A question: a `?` ending a sentence, outside quoted code. */
export function asksSomething(text: string): boolean {
  const prose = text.replace(/```[\s\S]*?```/g, ' ').replace(/`[^`]*`/g, ' ');
  return /\?(?=[\s"')\]!?]|$)/.test(prose);
}

/**
 * Whether the loop answers a message: never a topic delivery (every follower answering would flood its
 * sender) nor a "cannot think" note; another agent's automated reply only when it asks something and the
 * thread's budget for those is not spent; anything only while the thread's reply limit lasts.
 */
export function replyDecision(
  msg: { text: string; content: JsonValue; topic?: string },
  budget: ReplyBudget,
): ReplyDecision {
  if (msg.topic) return { answer: false, reason: 'a topic delivery' };
  if (msg.text.startsWith(NO_LLM_PREFIX))
    return { answer: false, reason: 'a note that the sender cannot think' };
  if (budget.sent >= budget.maxRepliesPerThread)
    return {
      answer: false,
      reason: `the thread's limit of ${budget.maxRepliesPerThread} replies is reached`,
    };
  if (!isAutomated(msg.content)) return { answer: true };
  if (!asksSomething(msg.text)) return { answer: false, reason: 'an automated reply that asks nothing' };
  if (budget.sentToAutomated >= budget.maxAutomatedRepliesPerThread)
    return {
      answer: false,
      reason: `the thread's budget of ${budget.maxAutomatedRepliesPerThread} answers to automated replies is spent`,
    };
  return { answer: true };
}
