"""GET /api/titles/{id}: details, similar titles (vectors), watched together (DP edges);
its poster (TMDB, through this origin) and its generated cover art."""

from __future__ import annotations

import hashlib
import os
from typing import Any

import httpx
from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import Response

from api.covers import cover_svg
from api.privacy import accounting
from api.routes.cards import poster_of, with_cover
from api.routes.deps import State, require_index, require_title
from api.search.cards import title_card
from omega.dp.accounting import pair_noise_std

router = APIRouter(tags=["titles"])


@router.get("/api/titles/{title_id}")
def title(state: State, title_id: int = Path(ge=1, le=2**53)) -> dict[str, Any]:
    require_title(state, title_id)
    require_index(state)
    similar: list[dict[str, Any]] = []
    vector = state.index.vector(title_id)
    if vector is not None:
        exclude = state.ranker.same_title(title_id)
        hits = state.index.search(vector, 10, None, exclude)
        similar = [with_cover(state, title_card(state.views, h.title_id))
                   | {"similarity": round(h.score, 4)} for h in hits]
    together = [with_cover(state, title_card(state.views, t)) | {"noisyDevices": c}
                for t, c in state.views.watched_with(title_id, 10)]
    record = state.views.titles[title_id]
    return with_cover(state, title_card(state.views, title_id)) | {
        "overview": record.get("overview"),
        "posterUrl": f"/api/titles/{title_id}/poster" if poster_of(state, title_id) else None,
        "rtRating": record.get("rt_rating"), "similar": similar,
        "watchedTogether": together, "watchedTogetherPrivacy": pair_privacy(state)}


def pair_privacy(state: State) -> dict[str, Any]:
    """What the noise on a "watched together" count means, in numbers a viewer can read."""
    epsilon = state.views.edge_epsilon
    if epsilon is None:
        return {"epsilonPerWindow": None, "noiseStd": None, "minDevices": None,
                "note": "no pairs released yet: they appear once enough TVs have reported"}
    settings = state.settings
    std = pair_noise_std(settings, epsilon)
    floor = settings.min_devices
    gaussian = settings.pair_mechanism == "gaussian"
    chance = (f"a pair of fewer than {floor:,} devices passes with probability at most "
              f"{settings.floor_error:g}" if gaussian else
              "as that count is noisy, a pair with fewer devices passes now and then, rarely")
    # Each pair's count is one window's release (the latest that released it).
    return {**accounting(settings, "device", "pairs", "window", 1),
            "noiseStd": round(std, 1), "minDevices": floor,
            "mechanism": "discrete Gaussian" if gaussian else "discrete Laplace",
            "note": f"Each count is the devices that watched both in a window, plus random "
                    f"noise of about ±{std:.0f}, so no one's viewing can be read from it; "
                    f"a pair is shown only when its noisy count reaches the release "
                    f"threshold (at least {floor:,}); {chance}."}


@router.get("/api/titles/{title_id}/poster", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}}}})
async def poster(state: State, title_id: int = Path(ge=1, le=2**53)) -> Response:
    """The title's TMDB poster, fetched once and kept in the data folder: the page never
    loads from a third-party origin (its CSP stays 'self')."""
    require_title(state, title_id)
    path = poster_of(state, title_id)
    if path is None:
        raise HTTPException(404, f"no poster for title {title_id}: TMDB is not configured "
                                 "or has none")
    folder = state.settings.data_dir / "posters"
    cached = folder / f"{title_id}.jpg"
    if not cached.exists():
        try:
            async with httpx.AsyncClient(timeout=10) as client:
                response = await client.get(f"{state.settings.tmdb_image_base_url}{path}")
        except httpx.HTTPError as exc:
            raise HTTPException(502, f"TMDB's image server cannot be reached: {exc}") from None
        if response.status_code != 200 or not response.headers.get(
                "content-type", "").startswith("image/"):
            raise HTTPException(502, f"TMDB's image server answered {response.status_code}")
        folder.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(response.content)
        os.replace(tmp, cached)
    return Response(cached.read_bytes(), media_type="image/jpeg",
                    headers={"Cache-Control": "public, max-age=86400"})


COVER_CSP = "default-src 'none'; frame-ancestors 'none'"  # no script, style or fetch in it


@router.get("/api/titles/{title_id}/cover.svg", response_class=Response, responses={
    200: {"description": "The cover art, an SVG image",
          "content": {"image/svg+xml": {"schema": {"type": "string"}}}},
    304: {"description": "Not modified: the If-None-Match ETag is still the cover's"}})
async def cover(state: State, request: Request,
                title_id: int = Path(ge=1, le=2**53)) -> Response:
    """Generated cover art for the title (its title, year and a colour for its first
    genre), for the cards of titles TMDB has no poster for: no key is needed. The same
    record gives the same bytes; its ETag changes only when the record does."""
    require_title(state, title_id)
    record = state.views.titles[title_id]
    svg = cover_svg(title_id, str(record.get("title") or ""), record.get("year"),
                    record.get("genres") or ())
    etag = f'"{hashlib.sha256(svg.encode()).hexdigest()[:20]}"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=86400",
               "Content-Security-Policy": COVER_CSP}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(svg, media_type="image/svg+xml", headers=headers)
