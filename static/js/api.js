// The API client: one function per endpoint of docs/api.md. Failed requests
// throw ApiError whose message is the body's `detail` (a readable sentence).

class ApiError extends Error {
  constructor(message, status, body) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.body = body;
  }
}

function detailOf(body) {
  if (!body) return null;
  const d = body.detail;
  if (typeof d === "string") return d;
  if (Array.isArray(d)) {
    return d.map((e) => `${(e.loc || []).join(".")}: ${e.msg}`).join("; ");
  }
  return null;
}

/** 409: another server process changed the session meanwhile and the call was not applied; send it once more. */
async function request(method, path, body) {
  try {
    return await send(method, path, body);
  } catch (err) {
    if (err.status !== 409) throw err;
    return send(method, path, body);
  }
}

async function send(method, path, body) {
  const init = { method, headers: { accept: "application/json" } };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (err) {
    throw new ApiError(`Cannot reach the server (${method} ${path}): ${err.message}`, 0, null);
  }
  if (res.status === 204) return null;
  const text = await res.text();
  let data;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const detail = detailOf(data) || `HTTP ${res.status} ${res.statusText}`.trim();
    throw new ApiError(detail, res.status, data);
  }
  return data;
}

/** POST CSV/TSV text with query parameters (null ones left out). */
async function sendText(path, text, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined) q.set(k, String(v));
  const res = await fetch(`${path}?${q}`, { method: "POST", headers: { "content-type": "text/csv", accept: "application/json" }, body: text });
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(detailOf(data) || `HTTP ${res.status}`, res.status, data);
  return data;
}

const session = (id) => `/api/networks/${encodeURIComponent(id)}`;

export const api = {
  health: () => request("GET", "/api/health"),
  catalog: () => request("GET", "/api/catalog"),
  create: (body) => request("POST", "/api/networks", body),
  get: (id) => request("GET", session(id)),
  remove: (id) => request("DELETE", session(id)),
  trace: (body) => request("POST", "/api/trace", body),
  reset: (id) => request("POST", `${session(id)}/reset`, {}),
  patchTraining: (id, patch) => request("PATCH", `${session(id)}/training`, patch),
  patchParameter: (id, edit) => request("PATCH", `${session(id)}/parameter`, edit),
  addPoint: (id, point) => request("POST", `${session(id)}/points`, point),
  removePoint: (id, split, index) => request("DELETE", `${session(id)}/points/${split}/${index}`),
  branch: (id, step) => request("POST", `${session(id)}/branch`, { step }),
  forward: (id, selection) => request("POST", `${session(id)}/forward`, selection),
  backward: (id, selection) => request("POST", `${session(id)}/backward`, selection),
  step: (id, body) => request("POST", `${session(id)}/step`, body),
  metrics: (id, since = 0) => request("GET", `${session(id)}/metrics?since=${since}`),
  boundary: (id, { resolution = 40, neurons = true, plane = [0, 1] } = {}) =>
    request("GET", `${session(id)}/boundary?resolution=${resolution}&neurons=${neurons}&plane_x=${plane[0]}&plane_y=${plane[1]}`),
  gradcheck: (id, body) => request("POST", `${session(id)}/gradcheck`, body),
  paths: (id, body) => request("POST", `${session(id)}/paths`, body),
  snapshots: (id) => request("GET", `${session(id)}/snapshots`),
  parseTable: (text, params) => sendText("/api/tables", text, params),
  bundled: (name) => request("GET", `/api/tables/${encodeURIComponent(name)}`),
  exportSession: (id) => request("GET", `${session(id)}/export`),
};
