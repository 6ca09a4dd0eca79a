// The page's reads of the viewer's JSON API (same origin; the API answers nothing else).

/**
 * @typedef {import('./types.js').Stats} Stats
 */

/**
 * @template T
 * @param {string} path
 * @returns {Promise<{ ok: true, status: number, body: T } | { ok: false, status: number, error: string }>}
 */
export async function getJson(path) {
  let response;
  try {
    response = await fetch(path, { headers: { accept: 'application/json' }, cache: 'no-store' });
  } catch (error) {
    return { ok: false, status: 0, error: `the receiver cannot be reached (${error instanceof Error ? error.message : String(error)})` };
  }
  /** @type {unknown} */
  let body;
  try {
    body = await response.json();
  } catch {
    return { ok: false, status: response.status, error: `HTTP ${response.status}: not JSON` };
  }
  if (!response.ok) {
    const message = body !== null && typeof body === 'object' && 'error' in body && typeof body.error === 'string' ? body.error : `HTTP ${response.status}`;
    return { ok: false, status: response.status, error: message };
  }
  return { ok: true, status: response.status, body: /** @type {T} */ (body) };
}

/**
 * Runs `task` now, or once more after the run in flight when asked again meanwhile: live updates
 * arriving faster than the page fetches never pile up requests.
 * @param {() => Promise<void>} task
 * @returns {() => void}
 */
export function refresher(task) {
  let running = false;
  let again = false;
  const run = () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    task()
      .catch((error) => {
        console.error(error);
      })
      .finally(() => {
        running = false;
        if (again) {
          again = false;
          run();
        }
      });
  };
  return run;
}
