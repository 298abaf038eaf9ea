import type { ToolHost } from '../../../lib/mcp/define-tool.ts';
import type { Challenges } from '../domain/challenges.ts';
import type { IdentityService } from '../domain/identities.ts';
import type { TokenAuthority } from '../domain/tokens.ts';
import type { TrustService } from '../domain/trust.ts';

/** What the identity tools are built over: the domain services plus the logger. */
export interface IdentityToolDeps extends ToolHost {
  identities: IdentityService;
  challenges: Challenges;
  tokens: TokenAuthority;
  trust: TrustService;
}
