"""What a running API holds: views, index, encoder, writer, limiters and signers, opened
from settings by `build_state` (in the app's lifespan) and closed by `close_state`."""

from __future__ import annotations

import functools
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from api.follower import ViewFollower
from api.limits import RateLimiter
from api.privacy import accounting
from api.search.backends import SearchBackend, ServerSearch
from api.search.encoders import CachedEncoder
from api.search.ranking import Ranker, Weights
from api.search.replica import VectorReplica
from api.search.signals import Prior
from api.security import KeyRing
from api.sessions import SessionSigner
from api.views import Views
from api.writer import KafkaWriter
from omega.data.tmdb import TmdbClient, TmdbStatus
from omega.dp.accounting import pair_noise_std
from omega.encoder import load_encoder
from omega.index import open_index
from omega.kafka.avro import AvroCodec
from omega.kafka.codecs import codec_for
from omega.keys import folder_secret
from omega.settings import Settings
from omega.validation import DeltaLimits


@dataclass
class ApiState:
    settings: Settings
    codec: AvroCodec
    views: Views
    index: SearchBackend  # the API's VectorReplica, or ServerSearch
    encoder: CachedEncoder
    ranker: Ranker
    writer: KafkaWriter
    keys: KeyRing
    limits: DeltaLimits
    sessions: SessionSigner
    device_rate: RateLimiter | None = None
    session_rate: RateLimiter | None = None
    follower: ViewFollower | None = None
    tmdb: TmdbStatus = field(default_factory=lambda: TmdbStatus(None))
    started: float = field(default_factory=time.time)


def build_state(settings: Settings) -> ApiState:
    codec = codec_for(settings)
    if settings.qdrant_url:
        index: SearchBackend = ServerSearch(open_index(
            settings.data_dir, settings.qdrant_url, settings.index_quantization))
        replica = None
    else:
        replica = VectorReplica(replica_root(settings) / f"process-{os.getpid()}",
                                quantization=settings.index_quantization)
        index = replica
    views = Views(replica)
    encoder = CachedEncoder(load_encoder(settings.data_dir / "models", "fp32"))
    session_secret = (settings.session_secret
                      or folder_secret(settings.data_dir / "api", "session-secret"))
    state = ApiState(settings=settings, codec=codec, views=views, index=index, encoder=encoder,
                     ranker=Ranker(views, index, encoder, weights_of(settings),
                                   prior_of(settings),
                                   functools.partial(pair_noise_std, settings),
                                   settings.rank_known_votes),
                     writer=KafkaWriter(settings), keys=KeyRing(settings.sync_keys),
                     limits=DeltaLimits.from_settings(settings),
                     device_rate=device_limiter(settings),
                     session_rate=session_limiter(settings),
                     sessions=SessionSigner(session_secret, settings.session_ttl_s))
    accounting(settings, "device", "titles", "window", 1)  # dp-accounting's ~1 s import
    state.follower = ViewFollower(settings, codec, views)
    state.follower.start()
    if settings.tmdb_api_key:
        state.tmdb = TmdbStatus(TmdbClient(settings.tmdb_api_key, settings.tmdb_base_url, None))
        state.tmdb.start()
    return state


def weights_of(settings: Settings) -> Weights:
    return Weights(settings.rank_weight_similarity, settings.rank_weight_popularity,
                   settings.rank_weight_trending, settings.rank_genre_bonus,
                   settings.rank_weight_coview, settings.rank_weight_genre_overlap,
                   settings.rank_weight_popularity_like, settings.rank_weight_series,
                   settings.rank_weight_era, settings.rank_weight_people)


def prior_of(settings: Settings) -> Prior:
    return Prior(settings.prior_votes_ref, settings.prior_min_votes,
                 settings.prior_mean_rating, settings.prior_rating_share,
                 settings.rank_confidence_z, settings.prior_volume_power)


def replica_root(settings: Settings) -> Path:
    """Where this port's API processes keep their index replicas, one folder each."""
    return settings.data_dir / f"api-index-{settings.api_port}"


def device_limiter(settings: Settings) -> RateLimiter | None:
    if not settings.rate_limit_device_per_min:
        return None
    return RateLimiter(settings.rate_limit_device_per_min / 60, settings.rate_limit_device_burst)


def session_limiter(settings: Settings) -> RateLimiter | None:
    """Sessions issued per client address: whoever wants to push a query past the release
    floor with many sessions needs many addresses (the ledger bounds each session)."""
    if not settings.session_issue_per_min:
        return None
    return RateLimiter(settings.session_issue_per_min / 60, settings.session_issue_burst)


def close_state(state: ApiState) -> None:
    if state.follower is not None:
        state.follower.stop()
    state.tmdb.stop()
    state.writer.close()
    if isinstance(state.index, VectorReplica):
        state.index.close()
