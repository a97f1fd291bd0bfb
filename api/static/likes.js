// Likes live in this browser only (localStorage), as a list of title ids, newest first.
const KEY = "omega.likes";
const listeners = new Set();

export function likes() {
  try {
    const ids = JSON.parse(localStorage.getItem(KEY) || "[]");
    return Array.isArray(ids) ? ids.filter(Number.isInteger) : [];
  } catch (err) {
    return [];
  }
}

export function isLiked(titleId) { return likes().includes(titleId); }

export function toggleLike(titleId) {
  const current = likes();
  const next = current.includes(titleId)
    ? current.filter((id) => id !== titleId) : [titleId, ...current].slice(0, 50);
  localStorage.setItem(KEY, JSON.stringify(next));
  for (const listener of listeners) listener(next);
  return next.includes(titleId);
}

export function onLikesChange(listener) { listeners.add(listener); }
