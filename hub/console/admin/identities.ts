import type { Request, Response } from 'express';
import type { ConsoleDeps } from '../deps.ts';
import type { Viewer } from '../layout.ts';
import { RevocableSubject } from '../settings.ts';
import { back, field } from './form.ts';

/**
 * POST /console/admin/revoke: refuses an identity (an agent's or a person's DID) or an operator token's
 * subject at this hub, at once: every token it holds stops working here.
 */
export async function revokeSubject(
  req: Request,
  res: Response,
  viewer: Viewer,
  deps: ConsoleDeps,
): Promise<void> {
  const subject = field(req, 'subject');
  const reason = field(req, 'reason').slice(0, 200);
  const page = field(req, 'from') === 'users' ? '/console/users' : '/console/agents';
  const parsed = RevocableSubject.safeParse(subject);
  if (!parsed.success) return back(res, page, { error: `Subject: ${parsed.error.issues[0]?.message}` });
  if (deps.settings.data.revoked[subject]) return back(res, page, { error: `${subject} is revoked already` });
  await deps.settings.update((draft) => {
    draft.revoked[subject] = { by: viewer.user.name, at: deps.now(), ...(reason ? { reason } : {}) };
  });
  await deps.audit.record(viewer, 'revoked', subject, reason ? { reason } : {});
  back(res, page, { done: `${subject} is revoked: its tokens are refused from now on.` });
}
