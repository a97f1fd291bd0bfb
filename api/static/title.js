// A title's page (/titles/{id}): what the sources say about it, similar titles (vectors),
// and what TVs watched with it (DP noisy counts, with what the noise means).
import { api } from "./api.js";
import { $, el, describe, icon, setStatus } from "./dom.js";
import { card, cover, likeButton } from "./cards.js";
import { pairCountLabel } from "./counts.js";
import { track } from "./analytics.js";

function facts(data) {
  const list = el("dl", undefined, "facts");
  const add = (term, value) => {
    if (value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length)) return;
    list.append(el("dt", term), el("dd", Array.isArray(value) ? value.join(", ") : String(value)));
  };
  add("Director", data.director);
  add("Cast", data.cast);
  add("Awards", data.awards);
  add("Rated", data.mpaa);
  if (data.votes) add("IMDb", `${data.rating.toFixed(1)}/10 from ${data.votes.toLocaleString()} votes`);
  if (data.rtRating) add("Rotten Tomatoes", `${data.rtRating}%`);
  if (data.movielensRatings) add("MovieLens", `${data.movielensRatings.toLocaleString()} ratings`);
  return list;
}

function section(headingText, id) {
  const part = el("section");
  const heading = el("h2", headingText);
  heading.id = id;
  part.setAttribute("aria-labelledby", id);
  part.append(heading);
  return part;
}

export async function showTitle(arg) {
  const article = $("title-detail");
  const heading = el("h1");
  heading.id = "title-heading";
  article.replaceChildren(heading);
  if (!/^[1-9][0-9]{0,15}$/.test(arg)) {
    heading.textContent = "Not a title";
    document.title = "Not a title — Omega";
    article.append(el("p", `"${arg}" is not a title id: title addresses look like /titles/862.`, "error-text"));
    return;
  }
  heading.textContent = "Loading…";
  let data;
  try {
    data = await api(`/api/titles/${arg}`);
  } catch (err) {
    heading.textContent = err.status === 404 ? "Title not found" : "This title cannot be shown";
    document.title = `${heading.textContent} — Omega`;
    article.append(el("p", err.status === 404
      ? `There is no title ${arg} in the catalog. It may have been removed; try searching for it.`
      : err.message, "error-text"));
    setStatus(err.message, true);
    return;
  }
  track.open(data.titleId);
  heading.textContent = data.year ? `${data.title} (${data.year})` : data.title;
  document.title = `${heading.textContent} — Omega`;
  const top = el("div", undefined, "title-top");
  top.append(cover(data, { className: "poster", lazy: false }));
  const body = el("div");
  body.append(el("p", describe(data), "meta"));
  if (data.overview) body.append(el("p", data.overview, "overview"));
  body.append(facts(data));
  const actions = el("div", undefined, "actions");
  const watch = el("button", undefined, "watch");
  watch.type = "button";
  watch.append(icon("play"), document.createTextNode("Watch"));
  watch.addEventListener("click", () => {
    track.watch(data.titleId);
    setStatus(`Enjoy ${data.title}. None of our sources says where it streams, so open it in your TV's app.`);
  });
  actions.append(watch, likeButton(data));
  body.append(actions);
  top.append(body);
  article.append(top);

  const similar = section("Similar titles", "similar-heading");
  const similarList = el("ol", undefined, "row");
  similarList.id = "similar";
  similarList.append(...data.similar.map((item) => card(item)));
  similar.append(data.similar.length ? similarList : el("p", "No similar titles: this title has no vector yet.", "note"));

  const together = section("Watched together on TVs", "together-heading");
  const togetherList = el("ol", undefined, "row");
  togetherList.id = "watched-together";
  togetherList.append(...data.watchedTogether.map((item) => card(item, {
    notes: [pairCountLabel(item)] })));
  const privacy = data.watchedTogetherPrivacy;
  together.append(data.watchedTogether.length ? togetherList
    : el("p", privacy.noiseStd === null ? "Nothing released yet: pairs appear once enough TVs have reported."
      : "No pair with this title has passed the privacy threshold yet.", "note"));
  if (privacy.noiseStd !== null) together.append(el("p", privacy.note, "note honest"));
  article.append(similar, together);
}
