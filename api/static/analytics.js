// The page's own analytics: searches, result clicks, title opens and "Watch" presses, sent
// in small batches to /api/analytics under a session the API issues (signed, expiring).
// Nothing is sent when the browser asks not to be tracked, or after the viewer opts out.
import { api, ApiError } from "./api.js";
import { $ } from "./dom.js";
import { normalizeQuery } from "./normalize.js";

const OPT_OUT = "omega.analytics";
const BATCH = 10;          // events per request at most
const FLUSH_AFTER_MS = 3000;

const queue = [];
let session = null;        // { token, expiresAtMs }
let timer = null;
let sending = Promise.resolve();
let recorded = 0;

export function doNotTrack() {
  return navigator.doNotTrack === "1" || window.doNotTrack === "1";
}

export function enabled() {
  return !doNotTrack() && localStorage.getItem(OPT_OUT) !== "off";
}

async function currentSession() {
  if (!session || session.expiresAtMs - Date.now() < 60_000) {
    const issued = await api("/api/session", {});
    session = { token: issued.session, expiresAtMs: issued.expiresAtMs };
  }
  return session.token;
}

async function send(events, keepalive) {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      await api("/api/analytics", { session: await currentSession(), events }, { keepalive });
      return;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401 && attempt === 0) {
        session = null;  // expired or rotated: one new session, one retry
        continue;
      }
      return;  // analytics never get in the viewer's way; the events are dropped
    }
  }
}

export function flush(keepalive = false) {
  clearTimeout(timer);
  timer = null;
  while (queue.length) {
    const events = queue.splice(0, BATCH);
    sending = sending.then(() => send(events, keepalive));
  }
  return sending;
}

function record(event) {
  if (!enabled()) return;
  queue.push({ ...event, atMs: Date.now() });
  recorded += 1;
  $("analytics-count").textContent = `Usage events this page reported: ${recorded}`;
  if (queue.length >= BATCH) flush();
  else if (!timer) timer = setTimeout(flush, FLUSH_AFTER_MS);
}

// A result click opens the title page, so each title open (from a result, Discover, a
// similar title or a deep link) is one CLICK: a click is never counted twice.
export const track = {
  search: (query) => { const q = normalizeQuery(query); if (q) record({ kind: "SEARCH", query: q }); },
  open: (titleId) => record({ kind: "CLICK", titleId }),
  watch: (titleId) => record({ kind: "PLAY", titleId }),
  like: (titleId) => record({ kind: "LIKE", titleId }),
};

function showState() {
  const box = $("share-usage");
  const state = $("analytics-state");
  if (doNotTrack()) {
    box.checked = false;
    box.disabled = true;
    state.textContent = "Your browser asks sites not to track you, so this page sends no usage events.";
    return;
  }
  box.disabled = false;
  box.checked = enabled();
  state.textContent = box.checked
    ? "This page reports searches and clicks under a random session that expires in 30 minutes; only differentially private counts of them are ever published."
    : "You opted out: this page sends no usage events.";
}

export function setUpAnalytics() {
  showState();
  $("share-usage").addEventListener("change", (event) => {
    if (event.target.checked) localStorage.removeItem(OPT_OUT);
    else { localStorage.setItem(OPT_OUT, "off"); queue.length = 0; }
    showState();
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") flush(true);
  });
}
