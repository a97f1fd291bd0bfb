// For you: the titles liked in this browser, and recommendations from them.
import { api } from "./api.js";
import { $, setStatus } from "./dom.js";
import { card } from "./cards.js";
import { likes } from "./likes.js";

let shown = 0;  // the latest request wins when likes change quickly

export async function showForYou() {
  const ids = likes();
  const request = ++shown;
  if (!ids.length) {
    $("liked").replaceChildren();
    $("for-you").replaceChildren();
    $("likes-note").textContent = "Nothing liked yet. Press the heart on any title to like it.";
    $("for-you-note").textContent = "Recommendations appear here once you like a title.";
    return;
  }
  $("likes-note").textContent = "";
  setStatus("Finding titles for you…");
  try {
    const data = await api("/api/recommendations", { likedTitleIds: ids, limit: 10 });
    if (request !== shown) return;
    $("liked").replaceChildren(...data.liked.map((item) => card(item)));
    $("for-you").replaceChildren(...data.results.map(
      (item) => card(item, { reasons: item.matchReasons })));
    $("for-you-note").textContent = data.results.length ? `Because you like ${data.basedOn.join(", ")}.`
      : "No recommendation yet for these titles.";
    setStatus("");
  } catch (err) {
    if (request !== shown) return;
    $("for-you").replaceChildren();
    setStatus(`Recommendations are unavailable: ${err.message}`, true);
  }
}

