// Omega's page: search (typed or spoken), Discover, For you and title pages, routed on the
// client from deep links (/, /discover, /for-you, /titles/{id}). Plain ES modules, no build.
import { api } from "./api.js";
import { $, placeIcons, setStatus } from "./dom.js";
import { card } from "./cards.js";
import { trendingNote } from "./counts.js";
import { setUpAnalytics, track } from "./analytics.js";
import { setUpVoice } from "./voice.js";
import { showDiscover, setUpDiscover } from "./discover.js";
import { showForYou } from "./foryou.js";
import { showTitle } from "./title.js";
import { onLikesChange } from "./likes.js";

const VIEWS = { search: "search-view", discover: "discover-view", "for-you": "for-you-view", title: "title-view" };

// -- search ------------------------------------------------------------------------------
function understood(m) {
  const parts = [];
  if (m.detectedGenres && m.detectedGenres.length) parts.push(`genres: ${m.detectedGenres.join(", ")}`);
  if (m.moods && m.moods.length) parts.push(`mood: ${m.moods.join(", ")}`);
  if (m.period) parts.push(`period: ${m.period}`);
  if (m.likeTitle) parts.push(`like: ${m.likeTitle}`);
  if (m.length) parts.push(`length: ${m.length}`);
  if (m.directors && m.directors.length) parts.push(`directed by: ${m.directors.join(", ")}`);
  if (m.cast && m.cast.length) parts.push(`starring: ${m.cast.join(", ")}`);
  if (m.awards && m.awards.length) parts.push(`award: ${m.awards.join(", ")}`);
  const unresolved = m.unresolved && m.unresolved.length
    ? ` Not found in any source: ${m.unresolved.join("; ")}.` : "";
  const relaxed = m.relaxedFilters ? " No title meets every condition, so these meet fewer." : "";
  return (parts.length ? `Understood ${parts.join(" · ")}.` : "") + unresolved + relaxed;
}

function showResults(data) {
  const m = data.metadata || {};
  $("understood").textContent = understood(m);
  if (m.likeAlternatives && m.likeAlternatives.length) {
    // "like Heat" means the best-known Heat; the other films of that title are offered
    const links = m.likeAlternatives.map((alt) => {
      const a = document.createElement("a");
      a.href = `/titles/${alt.titleId}`;
      a.textContent = alt.title;
      return a;
    });
    const also = [document.createTextNode(" Other films of that title: ")];
    links.forEach((a, i) => { if (i) also.push(document.createTextNode(", ")); also.push(a); });
    $("understood").append(...also, ".");
  }
  $("results").replaceChildren(...data.results.map(
    (item) => card(item, { reasons: item.matchReasons })));
  for (const li of $("results").children) li.classList.add("result");
  const ms = m.processingTimeMs !== undefined ? ` in ${m.processingTimeMs} ms` : "";
  if (m.nothingFits && data.results.length) {
    setStatus(`Nothing in the catalog fits that closely. The closest we have${ms}:`);
  } else {
    setStatus(data.results.length ? `${data.results.length} results${ms}` : "No titles match that. Try fewer conditions.");
  }
}

async function search(query) {
  if (!query.trim()) { setStatus("Type what you would like to watch.", true); return; }
  setStatus("Searching…");
  try {
    showResults(await api("/api/search", { query, limit: 10 }));
  } catch (err) {
    $("results").replaceChildren();
    $("understood").textContent = "";
    setStatus(err.message, true);
  }
}

async function loadTrending() {
  try {
    const data = await api("/api/discover?window=week&limit=12");
    $("trending").replaceChildren(...data.items.map((item) => card(item)));
    $("trending-note").textContent = trendingNote(data);
  } catch (err) {
    $("trending-note").textContent = `Trending is unavailable: ${err.message}`;
  }
}

// -- routing -----------------------------------------------------------------------------
function route(path) {
  const titleMatch = path.match(/^\/titles\/(.*)$/);
  if (titleMatch) return { view: "title", arg: decodeURIComponent(titleMatch[1]) };
  if (path === "/discover") return { view: "discover" };
  if (path === "/for-you") return { view: "for-you" };
  return { view: "search" };
}

async function render() {
  const { view, arg } = route(location.pathname);
  for (const [name, id] of Object.entries(VIEWS)) $(id).hidden = name !== view;
  for (const link of document.querySelectorAll("nav a")) {
    if (link.dataset.view === view) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  setStatus("");
  if (view === "search") {
    document.title = "Omega — find something to watch";
    loadTrending();
    const query = new URLSearchParams(location.search).get("q");
    if (query) { $("query").value = query; await search(query); }
  }
  if (view === "discover") { document.title = "Discover — Omega"; await showDiscover(); }
  if (view === "for-you") { document.title = "For you — Omega"; await showForYou(); }
  if (view === "title") await showTitle(arg);
}

// A search the viewer asked for (typed, spoken, or a trending search picked): reported,
// then shown at its own address (/?q=…), so Back returns to it without reporting it again.
export function submitSearch(query) {
  if (!query.trim()) { setStatus("Type what you would like to watch.", true); return; }
  track.search(query);
  navigate(`/?${new URLSearchParams({ q: query })}`);
}

export function navigate(path) {
  if (path !== location.pathname + location.search) history.pushState({}, "", path);
  render();
  if (!path.startsWith("/?")) $("view").focus();
}

document.addEventListener("DOMContentLoaded", () => {
  placeIcons();
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-link]");
    if (!link || event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    navigate(link.getAttribute("href"));
  });
  window.addEventListener("popstate", render);
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    submitSearch($("query").value);
  });
  setUpVoice((text) => { $("query").value = text; submitSearch(text); });
  setUpAnalytics();
  setUpDiscover(submitSearch);
  onLikesChange(() => { if (route(location.pathname).view === "for-you") showForYou(); });
  render();
});

