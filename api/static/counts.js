// How the page words DP counts: what a number is (TVs per window, on average; never "TVs"
// for a sum over windows) and whether anything stands above the noise. No DOM here, so
// the words are tested under Node (tests/api/test_page_modules.py).

const SPAN = { day: "today", week: "this week" };

// 772, 1,234, 3.4: whole numbers from 10 up, one decimal below.
export function amount(value) {
  return value >= 10 ? Math.round(value).toLocaleString("en-US") : value.toFixed(1);
}

// 60000 → "1-minute", 14400000 → "4-hour".
export function windowLength(ms) {
  if (ms && ms % 3_600_000 === 0) return `${ms / 3_600_000}-hour`;
  if (ms && ms % 60_000 === 0) return `${ms / 60_000}-minute`;
  return ms ? `${Math.round(ms / 1000)}-second` : "";
}

export function titleCountLabel(item) {
  return `about ${amount(item.devicesPerWindow)} TVs per window, on average`;
}

// A "watched together" count is one window's release (the latest that released the pair).
export function pairCountLabel(item) {
  return `about ${amount(item.noisyDevices)} TVs in one window (noisy count)`;
}

export function searchCountLabel(search) {
  return `about ${amount(search.sessionsPerWindow)} sessions per window, on average`;
}

function percent(confidence) {
  return `${Number((confidence * 100).toPrecision(10))} %`;
}

// The line under Discover's titles: what the numbers are, or why there are none.
export function discoverNote(data, genre = "") {
  const p = data.privacy;
  const floor = data.aboveNoise;
  const when = SPAN[data.window] || "";
  if (!p.windows) return "Nothing released yet: trends appear once enough TVs have reported.";
  const needs = `a title needs about ${amount(floor.thresholdDevicesPerWindow)} TVs per window, on average, to be told apart from the privacy noise (${percent(floor.confidence)} sure for all ${floor.titlesCompared.toLocaleString("en-US")} titles together)`;
  if (!floor.titles) return `No title stands above the noise ${when}: ${needs}, and none has that many yet.`;
  if (!data.items.length) return `No ${genre} title is trending ${when}: none stands above the noise. Try another genre.`;
  const length = windowLength(p.windowMs);
  return `${genre ? `${genre} titles only. ` : ""}TVs per ${length ? `${length} ` : ""}window, on average over the ${p.windows} windows released ${when}; each average has noise of about ±${amount(p.devicesPerWindowNoiseStd)}. Only titles above the noise are shown: ${needs}.`;
}

// The line under Discover's trending searches.
export function searchesNote(data) {
  const sp = data.searchPrivacy;
  if (!data.searches.length) return "No search released yet: a search appears once enough people have made it for the privacy threshold.";
  return `Searches that enough sessions made to pass the privacy threshold, averaged over the ${sp.windows} windows that released searches (a window where a search did not pass counts as 0); each average has noise of about ±${amount(sp.sessionsPerWindowNoiseStd)}.`;
}

// The note under the home page's trending row (its cards show no counts).
export function trendingNote(data) {
  const p = data.privacy;
  if (!p.windows) return "Nothing released yet: trends appear once enough TVs have reported.";
  if (!data.aboveNoise.titles) return "No title stands above the privacy noise this week yet.";
  return `The titles most watched on TVs this week, among those that stand above the privacy noise (${p.windows} windows released).`;
}
