import type { Request, Response } from 'express';
import { PlexusError } from '../../../lib/errors.ts';

/** A text field of a posted form ('' when absent), trimmed unless told otherwise. */
export function field(req: Request, name: string, trim = true): string {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  const text = typeof value === 'string' ? value : Array.isArray(value) ? String(value[0] ?? '') : '';
  return trim ? text.trim() : text;
}

/** A repeated field (checkboxes): every value given. */
export function fields(req: Request, name: string): string[] {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** An error a person can act on, naming the form field in the words of the form. */
export class FormError extends Error {}

/** The message a refused action shows: ours and the domain's are meant for people; anything else is not. */
export function messageOf(error: unknown): string | null {
  if (error instanceof FormError) return error.message;
  if (error instanceof PlexusError && error.kind !== 'internal') return error.message;
  return null;
}

/** Back to the page the form was on, with what happened. */
export function back(res: Response, page: string, outcome: { done: string } | { error: string }): void {
  const query = new URLSearchParams('done' in outcome ? { done: outcome.done } : { error: outcome.error });
  res.redirect(303, `${page}?${query.toString()}`);
}
