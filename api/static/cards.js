// A title as a card: a link to its page, what it is, and a like button.
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

// extra: lines under the meta line (reasons, counts), each a string.
export function card(item, { reasons = [], notes = [] } = {}) {
  const li = el("li", undefined, "card");
  li.dataset.titleId = item.titleId;
  const head = el("div", undefined, "card-head");
  head.append(titleLink(item), likeButton(item));
  li.append(head, el("div", describe(item), "meta"));
  if (reasons.length) {
    const list = el("ul", undefined, "reasons");
    for (const reason of reasons) list.append(el("li", reason, "reason"));
    li.append(list);
  }
  for (const note of notes) li.append(el("div", note, "meta"));
  return li;
}
