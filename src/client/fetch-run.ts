import type { RunSnapshot } from '../protocol/messages';

/**
 * The client's default `fetchRun`: GET `${url}/api/runs/${runId}` with the bearer token, as the
 * sample app and PROTOCOL.md serve a run's state.
 */
export function fetchRunOverHttp(
  url: string,
): (runId: string, token: string) => Promise<RunSnapshot> {
  const base = url.replace(/\/$/, '');
  return async (runId, token) => {
    const response = await fetch(`${base}/api/runs/${encodeURIComponent(runId)}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (!response.ok) throw new Error(`GET /api/runs/${runId} answered ${response.status}`);
    return (await response.json()) as RunSnapshot;
  };
}
