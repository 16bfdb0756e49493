# syntax=docker/dockerfile:1
# The images of all four services from one recipe: a shared build and runtime, then a short
# final stage per service. Build from the repository root, where uv.lock is, naming the service:
#   docker build --target routing -t registry.example.invalid/stadtmelder/routing:0.1.0 .

# Exact patch release and Debian release; pin the digest too when you publish
# (`docker buildx imagetools inspect python:3.11.14-slim-bookworm`), so a rebuild is byte-identical.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

# The map library the web pages serve themselves (no CDN at run time), from package-lock.json.
FROM node:22.11.0-bookworm-slim AS web-assets
WORKDIR /web-assets
COPY services/reports/web-assets/package.json services/reports/web-assets/package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${PYTHON_IMAGE} AS build
# The same uv as the Makefile, from PyPI, so the image resolves exactly what uv.lock says.
RUN pip install --no-cache-dir --disable-pip-version-check uv==0.13.9
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src
COPY pyproject.toml uv.lock ./
COPY shared/pyproject.toml shared/
COPY services/reports/pyproject.toml services/reports/
COPY services/routing/pyproject.toml services/routing/
COPY services/notify/pyproject.toml services/notify/
COPY services/fleet/pyproject.toml services/fleet/

FROM ${PYTHON_IMAGE} AS runtime
# A numeric user, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
RUN groupadd --gid 10001 stadtmelder \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin stadtmelder
WORKDIR /app
# Bytecode is compiled at build time because the root filesystem is read-only at run time.
ENV PATH=/app/.venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
USER 10001:10001
# Every service answers on the port its stage names as SERVICE_PORT.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['SERVICE_PORT'] + '/health/live', timeout=2)"

# Per service: third-party packages first, a layer that stays cached while only our code
# changes; then our packages as wheels, not editable, so the image gets no source tree.
# Each final stage listens on all interfaces; exec form makes Python PID 1, so it receives
# SIGTERM for its graceful shutdown.

FROM build AS reports-build
RUN uv sync --locked --no-dev --no-install-workspace --package stadtmelder-reports
COPY shared/ shared/
COPY services/reports/ services/reports/
# The pages' gettext catalogues (.po) compiled to the .mo files they read, with the locked Babel.
RUN /app/.venv/bin/pybabel compile -d services/reports/src/stadtmelder_reports/locale
RUN uv sync --locked --no-dev --no-editable --package stadtmelder-reports

FROM runtime AS reports
COPY --from=reports-build --chown=0:0 /app/.venv /app/.venv
COPY --from=web-assets --chown=0:0 /web-assets/node_modules /app/web-assets/node_modules
ENV SERVICE_PORT=8000 REPORTS_HOST=0.0.0.0 REPORTS_PORT=8000 \
    REPORTS_WEB_ASSETS_DIR=/app/web-assets/node_modules
EXPOSE 8000
ENTRYPOINT ["python", "-m", "stadtmelder_reports"]

FROM build AS routing-build
RUN uv sync --locked --no-dev --no-install-workspace --package stadtmelder-routing
COPY shared/ shared/
COPY services/routing/ services/routing/
# The department mails' gettext catalogues (.po) compiled to .mo files, with the locked Babel.
RUN /app/.venv/bin/pybabel compile -d services/routing/src/stadtmelder_routing/locale
RUN uv sync --locked --no-dev --no-editable --package stadtmelder-routing

FROM runtime AS routing
COPY --from=routing-build --chown=0:0 /app/.venv /app/.venv
ENV SERVICE_PORT=8001 ROUTING_HOST=0.0.0.0 ROUTING_PORT=8001
EXPOSE 8001
ENTRYPOINT ["python", "-m", "stadtmelder_routing"]

FROM build AS notify-build
RUN uv sync --locked --no-dev --no-install-workspace --package stadtmelder-notify
COPY shared/ shared/
COPY services/notify/ services/notify/
# The mails' gettext catalogues (.po) compiled to the .mo files they read, with the locked Babel.
RUN /app/.venv/bin/pybabel compile -d services/notify/src/stadtmelder_notify/locale
RUN uv sync --locked --no-dev --no-editable --package stadtmelder-notify

FROM runtime AS notify
COPY --from=notify-build --chown=0:0 /app/.venv /app/.venv
ENV SERVICE_PORT=8002 NOTIFY_HOST=0.0.0.0 NOTIFY_PORT=8002
EXPOSE 8002
ENTRYPOINT ["python", "-m", "stadtmelder_notify"]

FROM build AS fleet-build
RUN uv sync --locked --no-dev --no-install-workspace --package stadtmelder-fleet
COPY shared/ shared/
COPY services/fleet/ services/fleet/
RUN uv sync --locked --no-dev --no-editable --package stadtmelder-fleet

FROM runtime AS fleet
COPY --from=fleet-build --chown=0:0 /app/.venv /app/.venv
ENV SERVICE_PORT=8003 FLEET_HOST=0.0.0.0 FLEET_PORT=8003
EXPOSE 8003
ENTRYPOINT ["python", "-m", "stadtmelder_fleet"]
