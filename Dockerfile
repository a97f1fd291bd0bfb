# Omega's Python components in one slim, non-root image; the command picks the role.
FROM python:3.11-slim
RUN useradd --create-home --uid 10001 omega
WORKDIR /app
COPY pyproject.toml README.md LICENSE ./
COPY omega omega
COPY streams streams
COPY producers producers
COPY consumers consumers
COPY api api
COPY schemas schemas
RUN pip install --no-cache-dir . && mkdir /data && chown omega /data
ENV OMEGA_SCHEMAS_DIR=/app/schemas OMEGA_DATA_DIR=/data
USER omega
CMD ["omega-worker"]
