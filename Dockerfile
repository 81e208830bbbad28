# syntax=docker/dockerfile:1
# Arabesque in one image: the API with the Case Management pages (`serve`), the worker (`worker`) and the
# migrations (`db upgrade`). Built in three stages so the final image holds no compiler and no node:
#
#   docker build -t arabesque .
#   docker run -p 3000:3000 -v arabesque-data:/var/lib/arabesque arabesque          # SQLite, one container
#   docker compose up                                                             # PostgreSQL, see compose.yaml
#
# tests/deploy/test_packaging.py runs the commands below (entry point, command, health check) as written here.

ARG PYTHON_VERSION=3.11

# htmx for the Case Management pages, from npm, checked against its SHA-256: the same pin as the Makefile's.
FROM node:20-bookworm-slim AS htmx
ARG HTMX_VERSION=2.0.8
ARG HTMX_SHA256=22283ef68cb7545914f0a88a1bdedc7256a703d1d580c1d255217d0a50d31313
WORKDIR /htmx
RUN npm pack --silent "htmx.org@${HTMX_VERSION}" \
 && tar xzf "htmx.org-${HTMX_VERSION}.tgz" package/dist/htmx.min.js \
 && echo "${HTMX_SHA256}  package/dist/htmx.min.js" | sha256sum -c -

# Arabesque and its dependencies as wheels (some build from source: the slim image has no compiler).
FROM python:${PYTHON_VERSION}-slim-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends build-essential && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
COPY --from=htmx /htmx/package/dist/htmx.min.js src/arabesque/web/static/htmx.min.js
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:${PYTHON_VERSION}-slim-bookworm
RUN groupadd --system --gid 10001 arabesque \
 && useradd --system --uid 10001 --gid arabesque --home-dir /var/lib/arabesque --create-home arabesque
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index /wheels/*.whl && rm -rf /wheels
# The SQLite database, uploaded files and (without ARABESQUE_SECRET_KEY) the key file: mount a volume here.
ENV ARABESQUE_DATA_DIR=/var/lib/arabesque \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
VOLUME ["/var/lib/arabesque"]
USER arabesque
WORKDIR /var/lib/arabesque
EXPOSE 3000
# Ready means the database answers (503 while it does not); a worker container has no HTTP port: compose.yaml
# and the Helm chart turn this check off for it.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/api/v1/_health/ready', timeout=4); sys.exit(0)"]
ENTRYPOINT ["arabesque"]
CMD ["serve", "--host", "0.0.0.0", "--port", "3000"]
