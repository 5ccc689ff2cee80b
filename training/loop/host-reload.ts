/** What one inference host said to `load`. */
export interface HostReload {
  readonly url: string;
  readonly ok: boolean;
  /** HTTP status, or absent when the host could not be reached. */
  readonly status?: number;
  readonly detail: string;
}

/**
 * Asks every host to (re)load `model`: `POST <url>/v2/repository/models/<model>/load` (Triton's model
 * control; the host re-reads the folder and serving.json). Each call has its own timeout; a host that
 * is down or refuses is reported, not thrown — it reads serving.json when it starts.
 */
export async function reloadHosts(
  urls: readonly string[],
  model: string,
  timeoutMs = 30_000,
): Promise<HostReload[]> {
  return Promise.all(
    urls.map(async (base): Promise<HostReload> => {
      const url = `${base.replace(/\/+$/, '')}/v2/repository/models/${encodeURIComponent(model)}/load`;
      try {
        const response = await fetch(url, { method: 'POST', signal: AbortSignal.timeout(timeoutMs) });
        const body = (await response.text()).slice(0, 300);
        return {
          url: base,
          ok: response.ok,
          status: response.status,
          detail: response.ok ? 'reloaded' : `refused: ${body || response.statusText}`,
        };
      } catch (error) {
        const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        return {
          url: base,
          ok: false,
          detail: `not reached (${reason}); it reads serving.json when it starts`,
        };
      }
    }),
  );
}
