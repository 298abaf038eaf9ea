import type { Request, Response } from 'express';
import { revocationText } from '../../../lib/identity/revocation.ts';
import { Did } from '../../../schemas/common.ts';
import type { ConsoleDeps } from '../deps.ts';
import type { Viewer } from '../layout.ts';
import { RevokedOperator } from '../settings.ts';
import { back, field } from './form.ts';

/**
 * POST /console/admin/revoke. An agent's or a person's DID is revoked in the identity server, for the whole
 * network, in the signed-in operator's name (identity checks their admin scope): every gateway and server
 * then refuses it, as after its own revocation. An operator token's subject has no identity log: it is
 * refused at this hub.
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
  if (Did.safeParse(subject).success) {
    if (!reason) return back(res, page, { error: 'Reason: say why the identity is revoked' });
    const { revoked_by } = await deps.identity.revokeAsOperator(subject, reason, {
      subject: viewer.user.did,
      scopes: viewer.user.scopes,
    });
    deps.revocations.revoked(subject, revocationText(subject, revoked_by, reason));
    await deps.audit.record(viewer, 'revoked', subject, { reason, revoked_by });
    return back(res, page, {
      done: `${subject} is revoked in the whole network: it is refused from now on.`,
    });
  }
  const parsed = RevokedOperator.safeParse(subject);
  if (!parsed.success) return back(res, page, { error: 'Subject: must be a did:key or operator:<name>' });
  if (deps.settings.data.revoked[subject]) return back(res, page, { error: `${subject} is revoked already` });
  await deps.settings.update((draft) => {
    draft.revoked[subject] = { by: viewer.user.name, at: deps.now(), ...(reason ? { reason } : {}) };
  });
  await deps.audit.record(viewer, 'revoked', subject, reason ? { reason } : {});
  back(res, page, { done: `${subject} is revoked: its tokens are refused from now on.` });
}
