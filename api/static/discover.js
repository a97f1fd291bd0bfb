// Discover: DP trending titles for today or this week, by genre, and DP trending searches.
import { api } from "./api.js";
import { $, el, setStatus } from "./dom.js";
import { card } from "./cards.js";
import { discoverNote, searchCountLabel, searchesNote, titleCountLabel } from "./counts.js";

let period = "week";
let onSearch = () => {};

function selectTab(windowName) {
  period = windowName;
  for (const tab of document.querySelectorAll("#discover-view [role=tab]")) {
    const on = tab.dataset.window === windowName;
    tab.setAttribute("aria-selected", String(on));
    tab.tabIndex = on ? 0 : -1;
  }
}

export function setUpDiscover(search) {
  onSearch = search;
  const tabs = [...document.querySelectorAll("#discover-view [role=tab]")];
  for (const tab of tabs) {
    tab.addEventListener("click", () => { selectTab(tab.dataset.window); showDiscover(); });
    tab.addEventListener("keydown", (event) => {  // arrow keys move between tabs
      if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
      const next = tabs[(tabs.indexOf(tab) + (event.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
      next.focus();
      next.click();
    });
  }
  selectTab(period);
  $("genre").addEventListener("change", () => showDiscover());
}

function fillGenres(genres) {
  const select = $("genre");
  if (select.options.length > 1 || !genres.length) return;
  for (const genre of genres) select.append(new Option(genre, genre));
}

let shown = 0;  // the latest request wins when the tab or genre changes quickly

export async function showDiscover() {
  const request = ++shown;
  const genre = $("genre").value;
  const query = new URLSearchParams({ window: period, limit: "20" });
  if (genre) query.set("genre", genre);
  setStatus("Loading…");
  let data;
  try {
    data = await api(`/api/discover?${query}`);
  } catch (err) {
    if (request !== shown) return;
    $("discover-titles").replaceChildren();
    $("discover-searches").replaceChildren();
    $("discover-note").textContent = "";
    $("searches-note").textContent = "";
    setStatus(`Discover is unavailable: ${err.message}`, true);
    return;
  }
  if (request !== shown) return;
  setStatus("");
  fillGenres(data.genres || []);
  $("discover-titles").replaceChildren(...data.items.map((item) => card(item, {
    notes: [titleCountLabel(item)] })));
  $("discover-note").textContent = discoverNote(data, genre);
  $("discover-searches").replaceChildren(...data.searches.map((s) => {
    const li = el("li");
    const button = el("button", s.query, "link-button");
    button.type = "button";
    button.addEventListener("click", () => onSearch(s.query));
    li.append(button, el("span", ` ${searchCountLabel(s)}`, "meta"));
    return li;
  }));
  $("searches-note").textContent = searchesNote(data);
}
