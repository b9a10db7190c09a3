# Zanbot as a container: `zanbot run` (long polling) as an unprivileged user, the database and
# the trained models on the /data volume. Build and run with compose.yaml, or:
#
#   docker build -t zanbot .
#   docker run -d --name zanbot --env-file /etc/zanbot/zanbot.env -v zanbot-data:/data \
#       --stop-timeout 60 --restart unless-stopped zanbot
#
# Settings come from the environment (README, "For operators"); the token belongs in the
# env file, never in the image. A knowledge base of your own: mount it read-only and set
# ZANBOT_CONTENT_DIR, e.g. `-v /srv/zanbot/content:/content:ro -e ZANBOT_CONTENT_DIR=/content`
# (edits are picked up while the bot runs). Webhook instead of polling: the command
# `zanbot run --webhook https://…` and a published ZANBOT_WEBHOOK_PORT (8443).

ARG PYTHON_IMAGE=python:3.11-slim

# --- build: the one install procedure (deploy/install.sh) into the venv /opt/zanbot ---
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY . /src
RUN sh /src/deploy/install.sh /opt/zanbot

# --- run: the same base image, the venv, and nothing of the build ---
FROM ${PYTHON_IMAGE}
RUN groupadd --system --gid 10001 zanbot \
    && useradd --system --uid 10001 --gid zanbot --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin zanbot \
    && mkdir -p /data /content \
    && chown zanbot:zanbot /data
COPY --from=build /opt/zanbot /opt/zanbot

ENV PATH=/opt/zanbot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ZANBOT_DATABASE=/data/zanbot.sqlite3 \
    ZANBOT_MODEL_DIR=/data/models \
    ZANBOT_WEBHOOK_LISTEN=0.0.0.0 \
    ZANBOT_HEALTH_PORT=8080

USER zanbot
WORKDIR /data
VOLUME ["/data"]
# Only with `zanbot run --webhook URL`; long polling needs no port.
EXPOSE 8443

# The bot's health endpoint, on ZANBOT_HEALTH_PORT inside the container (read at check time,
# so an env file may change it). No curl in a slim image: Python's urllib, 200 or unhealthy.
# The start period covers the first start on a new volume, which trains the matcher.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; url = 'http://127.0.0.1:%s/healthz' % os.environ.get('ZANBOT_HEALTH_PORT', '8080'); sys.exit(0 if urllib.request.urlopen(url, timeout=4).status == 200 else 1)"]

# SIGTERM: python-telegram-bot finishes the updates in progress and the delivery worker
# records the messages in flight before the process exits; give it time to (docker stop
# --time 60, compose stop_grace_period: 60s; see deploy/zanbot.service for the figure).
STOPSIGNAL SIGTERM
CMD ["zanbot", "run"]
