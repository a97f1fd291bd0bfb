// Omega web page: search, voice search (Web Speech API), trending row. No build step.
"use strict";

const $ = (id) => document.getElementById(id);

function setStatus(text, isError = false) {
  const status = $("status");
  status.textContent = text;
  status.classList.toggle("error", isError);
}

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;  // never innerHTML: titles are data
  if (className) node.className = className;
  return node;
}

async function api(path, body) {
  const init = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  };
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    throw new Error("The service cannot be reached. Check your connection and try again.");
  }
  let data = null;
  try { data = await response.json(); } catch (err) { /* not JSON */ }
  if (!response.ok) {
    const why = data && data.error ? data.error : `error ${response.status}`;
    const retry = response.headers.get("Retry-After");
    throw new Error(retry ? `${why} (try again in ${retry} s)` : why);
  }
  return data;
}

function describe(item) {
  const parts = [];
  if (item.year) parts.push(item.year);
  if (item.genres && item.genres.length) parts.push(item.genres.join(", "));
  if (item.runtimeMin) parts.push(`${item.runtimeMin} min`);
  if (item.rating) parts.push(`★ ${item.rating.toFixed(1)}/10`);
  return parts.join(" · ");
}

function showResults(data) {
  const list = $("results");
  list.replaceChildren();
  const m = data.metadata || {};
  const understood = [];
  if (m.detectedGenres && m.detectedGenres.length) understood.push(`genres: ${m.detectedGenres.join(", ")}`);
  if (m.moods && m.moods.length) understood.push(`mood: ${m.moods.join(", ")}`);
  if (m.period) understood.push(`period: ${m.period}`);
  if (m.likeTitle) understood.push(`like: ${m.likeTitle}`);
  if (m.length) understood.push(`length: ${m.length}`);
  if (m.directors && m.directors.length) understood.push(`directed by: ${m.directors.join(", ")}`);
  if (m.cast && m.cast.length) understood.push(`starring: ${m.cast.join(", ")}`);
  if (m.awards && m.awards.length) understood.push("Oscar winners");
  const unresolved = m.unresolved && m.unresolved.length
    ? ` Not found in any source: ${m.unresolved.join("; ")}.` : "";
  $("understood").textContent =
    (understood.length ? `Understood ${understood.join(" · ")}.` : "") + unresolved;
  for (const item of data.results) {
    const li = el("li");
    li.className = "result";
    li.append(el("div", item.title, "title"), el("div", describe(item), "meta"));
    const reasons = el("ul", undefined, "reasons");
    for (const reason of item.matchReasons) reasons.append(el("li", reason, "reason"));
    li.append(reasons);
    list.append(li);
  }
  const ms = m.processingTimeMs !== undefined ? ` in ${m.processingTimeMs} ms` : "";
  setStatus(data.results.length ? `${data.results.length} results${ms}` : "No titles match that. Try fewer conditions.");
}

async function search(query) {
  if (!query.trim()) { setStatus("Type what you would like to watch.", true); return; }
  setStatus("Searching…");
  try {
    showResults(await api("/api/search", { query, limit: 10 }));
  } catch (err) {
    $("results").replaceChildren();
    setStatus(err.message, true);
  }
}

async function loadTrending() {
  try {
    const data = await api("/api/discover?window=week&limit=12");
    const row = $("trending");
    row.replaceChildren();
    for (const item of data.items) {
      const li = el("li");
      li.append(el("div", item.title, "title"), el("div", describe(item), "meta"));
      row.append(li);
    }
    const p = data.privacy;
    $("trending-note").textContent = data.items.length
      ? `Noisy device totals over ${p.windows} released windows (noise std ≈ ${p.noiseStd}).`
      : "Nothing released yet: trends appear once enough TVs have reported.";
  } catch (err) {
    $("trending-note").textContent = `Trending is unavailable: ${err.message}`;
  }
}

// Voice search. Chrome throws InvalidStateError when start() is called while a session is
// still ending (the race the seed product hit): we abort, wait for "end", then retry once.
function setUpVoice() {
  const mic = $("mic");
  const Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
  if (!Recognition) {
    // Left clickable (a disabled button gets no clicks, so it could not explain itself).
    mic.classList.add("unavailable");
    mic.title = "Voice search is not available in this browser";
    mic.addEventListener("click", () => setStatus("Voice search is not available in this browser; type your search instead.", true));
    return;
  }
  const recognition = new Recognition();
  recognition.lang = navigator.language || "en-US";
  recognition.interimResults = false;
  recognition.maxAlternatives = 1;
  let listening = false;
  let ended = Promise.resolve();
  let endNow = () => {};

  recognition.onstart = () => { listening = true; mic.classList.add("listening"); setStatus("Listening… say what you want to watch."); };
  recognition.onend = () => { listening = false; mic.classList.remove("listening"); endNow(); };
  recognition.onerror = (event) => {
    const messages = {
      "not-allowed": "Microphone permission was denied.",
      "no-speech": "No speech heard. Try again.",
      "audio-capture": "No microphone was found.",
      "network": "Voice recognition needs a network connection.",
    };
    if (event.error !== "aborted") setStatus(messages[event.error] || `Voice search failed: ${event.error}`, true);
  };
  recognition.onresult = (event) => {
    const text = event.results[0][0].transcript;
    $("query").value = text;
    search(text);
  };

  async function startListening(retry = true) {
    try {
      recognition.start();
    } catch (err) {
      if (err.name === "InvalidStateError" && retry) {
        ended = new Promise((resolve) => { endNow = resolve; });
        recognition.abort();
        await Promise.race([ended, new Promise((r) => setTimeout(r, 1000))]);
        return startListening(false);
      }
      setStatus(`Voice search could not start: ${err.message}`, true);
    }
  }

  mic.addEventListener("click", () => {
    if (listening) { recognition.stop(); return; }
    startListening();
  });
}

document.addEventListener("DOMContentLoaded", () => {
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    search($("query").value);
  });
  setUpVoice();
  loadTrending();
});
