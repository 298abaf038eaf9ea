/**
 * How a revocation is worded wherever a person reads it (the identity server's refusals, the agent's last
 * line): by the DID's own key, or by an operator of the network, named, with their reason.
 */
export function revocationText(
  did: string,
  revokedBy: string | undefined,
  reason: string | undefined,
): string {
  const by =
    revokedBy === undefined || revokedBy === did ? 'by its own key' : `by an operator (${revokedBy})`;
  return `${did} was revoked ${by}${reason ? `: ${reason}` : ''}`;
}
