import type { Evidence } from './store.ts';

/**
 * Trust model: Beta reputation (Jøsang & Ismail 2002) with exponential time decay and Jøsang's discounting
 * operator for second-hand evidence. See docs/security.md, "The trust formula", for the formula and the bound.
 *
 *  - Each piece of evidence counts w · 2^(−age / halfLife) towards r (positive) or s (negative).
 *  - An opinion (r, s) has belief b = r/(r+s+2), disbelief d = s/(r+s+2), uncertainty u = 2/(r+s+2).
 *  - The viewer V trusts itself fully; it believes the authority (outcome reports) with a fixed β; it
 *    believes any other attester A by b_V(A), computed from first-hand evidence only: V's own attestations
 *    about A plus the authority's outcomes about A (discounted by β). Attestations by third parties about A
 *    never raise b_V(A), which is what makes collusion bounded.
 *  - A's evidence about the subject is discounted by b_V(A): b' = b_V(A)·b, d' = b_V(A)·d,
 *    u' = 1 − b' − d', mapped back to evidence r' = 2b'/u', s' = 2d'/u'. So one attester adds at most
 *    2·b_V(A)/(1 − b_V(A)) units, however much it attests.
 *  - score = (R + 1)/(R + S + 2) over the summed discounted evidence (R, S) about the subject.
 */
export const AUTHORITY = 'plexus:authority';

export interface TrustParams {
  halfLifeMs: number;
  /** β: how much a viewer believes the authority's outcome reports, in [0, 1). */
  authorityBelief: number;
}

export interface Opinion {
  r: number;
  s: number;
}

export interface TrustResult {
  score: number;
  positive: number;
  negative: number;
  uncertainty: number;
  /** Attestations (not outcomes) about the subject that were considered. */
  attestations: number;
  /** Distinct attesters whose evidence counted (belief > 0). */
  attesters: number;
  outcomes: { task: { positive: number; negative: number }; uptime: { positive: number; negative: number } };
}

export function decayFactor(ageMs: number, halfLifeMs: number): number {
  return Math.pow(2, -Math.max(0, ageMs) / halfLifeMs);
}

export function belief(o: Opinion): number {
  return o.r / (o.r + o.s + 2);
}

/** Jøsang discounting of opinion `o` by belief `b` in its source, in evidence space. */
export function discount(b: number, o: Opinion): Opinion {
  if (b >= 1) return o;
  if (b <= 0) return { r: 0, s: 0 };
  const total = o.r + o.s + 2;
  const bb = (b * o.r) / total;
  const dd = (b * o.s) / total;
  const u = 1 - bb - dd;
  return { r: (2 * bb) / u, s: (2 * dd) / u };
}

/** The most evidence one attester believed with `b` can add about anyone: 2b/(1−b). */
export function attesterCap(b: number): number {
  return b >= 1 ? Infinity : (2 * b) / (1 - b);
}

/** The most a score with evidence (r, s) can move when E more units of evidence arrive: E/(r+s+2+E). */
export function scoreShiftBound(o: Opinion, extra: number): number {
  return extra / (o.r + o.s + 2 + extra);
}

/** Sums decayed evidence per attester, skipping self-attestation and revoked attesters. */
export function opinionsBy(
  evidence: readonly Evidence[],
  subject: string,
  now: number,
  params: TrustParams,
  revoked: ReadonlySet<string>,
): Map<string, Opinion> {
  const byAttester = new Map<string, Opinion>();
  for (const e of evidence) {
    if (e.subject !== subject || e.attester === subject || revoked.has(e.attester)) continue;
    const o = byAttester.get(e.attester) ?? { r: 0, s: 0 };
    const w = e.weight * decayFactor(now - e.recordedAt, params.halfLifeMs);
    if (e.positive) o.r += w;
    else o.s += w;
    byAttester.set(e.attester, o);
  }
  return byAttester;
}

/** b_V(A): the viewer's first-hand belief in attester A. */
export function attesterBelief(
  viewer: string,
  attester: string,
  firstHand: readonly Evidence[],
  now: number,
  params: TrustParams,
  revoked: ReadonlySet<string>,
): number {
  if (attester === viewer) return 1;
  if (revoked.has(attester)) return 0;
  if (attester === AUTHORITY) return params.authorityBelief;
  const opinions = opinionsBy(firstHand, attester, now, params, revoked);
  let total: Opinion = { r: 0, s: 0 };
  for (const [source, o] of opinions) {
    // First-hand only: the viewer's own word (fully) and the authority's outcomes (by β).
    const b = source === viewer ? 1 : source === AUTHORITY ? params.authorityBelief : 0;
    const d = discount(b, o);
    total = { r: total.r + d.r, s: total.s + d.s };
  }
  return belief(total);
}

/**
 * The viewer's trust in `subject`. `about` is all evidence about the subject; `firstHand` is the evidence
 * about the subject's attesters from the viewer and the authority.
 */
export function computeTrust(input: {
  viewer: string;
  subject: string;
  about: readonly Evidence[];
  firstHand: readonly Evidence[];
  revoked: ReadonlySet<string>;
  now: number;
  params: TrustParams;
}): TrustResult {
  const { viewer, subject, about, firstHand, revoked, now, params } = input;
  const opinions = opinionsBy(about, subject, now, params, revoked);
  // Group first-hand evidence by whom it is about, so each attester's belief reads only its own.
  const firstHandAbout = Map.groupBy(firstHand, (e) => e.subject);
  let r = 0;
  let s = 0;
  let attesters = 0;
  for (const [attester, o] of opinions) {
    const b = attesterBelief(viewer, attester, firstHandAbout.get(attester) ?? [], now, params, revoked);
    if (b <= 0) continue;
    attesters++;
    const d = discount(b, o);
    r += d.r;
    s += d.s;
  }
  const counted = about.filter((e) => e.subject === subject && e.attester !== subject);
  const count = (source: 'task' | 'uptime', positive: boolean) =>
    counted.filter((e) => e.source === source && e.positive === positive).length;
  return {
    score: (r + 1) / (r + s + 2),
    positive: r,
    negative: s,
    uncertainty: 2 / (r + s + 2),
    attestations: counted.filter((e) => e.source === 'attestation').length,
    attesters,
    outcomes: {
      task: { positive: count('task', true), negative: count('task', false) },
      uptime: { positive: count('uptime', true), negative: count('uptime', false) },
    },
  };
}
