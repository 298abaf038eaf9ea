import {
  AttestInput,
  AttestOutput,
  CreateOperatorTokenInput,
  CreateOperatorTokenOutput,
  GetIdentityLogInput,
  GetIdentityLogOutput,
  GetJwksInput,
  GetJwksOutput,
  GetTrustInput,
  GetTrustOutput,
  IssueAccessTokenInput,
  IssueAccessTokenOutput,
  IssueDelegatedTokenInput,
  IssueDelegatedTokenOutput,
  RegisterIdentityInput,
  RegisterIdentityOutput,
  ReportOutcomeInput,
  ReportOutcomeOutput,
  ResolveDidInput,
  ResolveDidOutput,
  RevokeIdentityAsOperatorInput,
  RevokeIdentityAsOperatorOutput,
  RevokeIdentityInput,
  RevokeIdentityOutput,
  RotateKeysInput,
  RotateKeysOutput,
} from '../../schemas/identity/tools.ts';
import { contract, defineClient } from './typed-client.ts';

/** The identity server's tools other Plexus parts call. */
export const identityClient = defineClient('identity', {
  registerIdentity: contract('register_identity', RegisterIdentityInput, RegisterIdentityOutput),
  resolveDid: contract('resolve_did', ResolveDidInput, ResolveDidOutput),
  revokeIdentity: contract('revoke_identity', RevokeIdentityInput, RevokeIdentityOutput),
  revokeIdentityAsOperator: contract(
    'revoke_identity_as_operator',
    RevokeIdentityAsOperatorInput,
    RevokeIdentityAsOperatorOutput,
  ),
  rotateKeys: contract('rotate_keys', RotateKeysInput, RotateKeysOutput),
  getIdentityLog: contract('get_identity_log', GetIdentityLogInput, GetIdentityLogOutput),
  issueAccessToken: contract('issue_access_token', IssueAccessTokenInput, IssueAccessTokenOutput),
  issueDelegatedToken: contract('issue_delegated_token', IssueDelegatedTokenInput, IssueDelegatedTokenOutput),
  getJwks: contract('get_jwks', GetJwksInput, GetJwksOutput),
  createOperatorToken: contract('create_operator_token', CreateOperatorTokenInput, CreateOperatorTokenOutput),
  getTrust: contract('get_trust', GetTrustInput, GetTrustOutput),
  attest: contract('attest', AttestInput, AttestOutput),
  reportOutcome: contract('report_outcome', ReportOutcomeInput, ReportOutcomeOutput),
});

export type IdentityClient = ReturnType<typeof identityClient>;
