/** A JSON HTTP call against a test instance. */
export async function http<T = unknown>(
  url: string,
  options: { method?: string; token?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(url, { method: options.method ?? 'GET', headers });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (e.g. the page or metrics): keep the text.
  }
  return { status: response.status, body: body as T };
}
