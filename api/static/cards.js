// A title as a card: its picture, a link to its page, what it is, and a like button.
import { el, describe, icon } from "./dom.js";
import { isLiked, toggleLike } from "./likes.js";
import { track } from "./analytics.js";

export function likeButton(item) {
  const button = el("button", undefined, "like icon-button");
  button.type = "button";
  const label = el("span", undefined, "visually-hidden");
  const sync = () => {
    const liked = isLiked(item.titleId);
    button.setAttribute("aria-pressed", String(liked));
    label.textContent = `Like ${item.title}`;
    button.title = liked ? "Liked: press to unlike" : "Like";
  };
  button.append(icon("heart"), label);
  button.addEventListener("click", (event) => {
    event.preventDefault();
    if (toggleLike(item.titleId)) track.like(item.titleId);
    sync();
  });
  sync();
  return button;
}

export function titleLink(item) {
  const link = el("a", item.year ? `${item.title} (${item.year})` : item.title, "title");
  link.href = `/titles/${item.titleId}`;
  link.dataset.link = "";
  return link;
}

// The title's picture: the API's coverUrl (its TMDB poster, or generated cover art), and
// the cover art should the poster fail to load. Lazy, except where it is the page's own.
export function cover(item, { className = "cover", lazy = true } = {}) {
  const generated = `/api/titles/${item.titleId}/cover.svg`;
  const img = el("img", undefined, className);
  img.alt = item.year ? `${item.title} (${item.year}) cover` : `${item.title} cover`;
  img.width = 200;  // the covers' size: the space is kept (2:3) before they load
  img.height = 300;
  img.decoding = "async";
  if (lazy) img.loading = "lazy";
  img.addEventListener("error", () => {
    if (img.getAttribute("src") !== generated) img.src = generated;
  });
  img.src = item.coverUrl || generated;
  return img;
}

// extra: lines under the meta line (reasons, counts), each a string.
export function card(item, { reasons = [], notes = [] } = {}) {
  const li = el("li", undefined, "card");
  li.dataset.titleId = item.titleId;
  const head = el("div", undefined, "card-head");
  head.append(titleLink(item), likeButton(item));
  const body = el("div", undefined, "card-body");
  body.append(head, el("div", describe(item), "meta"));
  if (reasons.length) {
    const list = el("ul", undefined, "reasons");
    for (const reason of reasons) list.append(el("li", reason, "reason"));
    body.append(list);
  }
  for (const note of notes) body.append(el("div", note, "meta"));
  li.append(cover(item), body);
  return li;
}
