import { BackendError, failureForStatus, parseRetryAfter } from './errors.ts';

/** Reads an error response (Ollama `{error}`, OpenAI `{error:{message,code}}`, or text) into a BackendError. */
export async function errorFromResponse(response: Response, now: number): Promise<BackendError> {
  const text = await response.text().catch(() => '');
  let message = text.trim().slice(0, 500) || `HTTP ${response.status}`;
  let code = '';
  try {
    const body = JSON.parse(text) as { error?: string | { message?: string; code?: string | null } };
    if (typeof body.error === 'string') message = body.error;
    else if (body.error?.message) {
      message = body.error.message;
      code = body.error.code ?? '';
    }
  } catch {
    // not JSON: keep the text
  }
  const failure = failureForStatus(response.status, `${message} ${code}`);
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), now);
  return new BackendError(failure, `HTTP ${response.status}: ${message}`, {
    status: response.status,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}
