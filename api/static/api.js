// Calls to Omega's API, with errors a viewer can act on: unreachable, 429 and 4xx/5xx.
export class ApiError extends Error {
  constructor(message, status) { super(message); this.status = status; }
}

export async function api(path, body, { keepalive = false } = {}) {
  const init = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body), keepalive,
  };
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    throw new ApiError("The service cannot be reached. Check your connection and try again.", 0);
  }
  let data = null;
  try { data = await response.json(); } catch (err) { /* not JSON */ }
  if (!response.ok) {
    const retry = response.headers.get("Retry-After");
    if (response.status === 429) {
      throw new ApiError(`Too many requests just now; try again in ${retry || "a few"} s.`, 429);
    }
    const why = data && data.error ? data.error : `the service answered ${response.status}`;
    throw new ApiError(retry ? `${why} (try again in ${retry} s)` : why, response.status);
  }
  return data;
}
