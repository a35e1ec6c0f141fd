# Python's minor version and Debian's release pinned: a rebuild months later gets the same base.
FROM python:3.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE_PATH=/data/wenwen-bot.sqlite3 \
    HEALTH_PORT=8081

RUN useradd --system --create-home --home-dir /home/bot --shell /usr/sbin/nologin bot \
    && mkdir -p /data \
    && chown bot:bot /data

WORKDIR /app
COPY pyproject.toml README.md constraints.txt ./
COPY bot ./bot
COPY storage ./storage
# asyncpg for DATABASE_URL=postgresql://… (SQLite at DATABASE_PATH needs nothing more); the dependencies at
# the versions the tests passed with (constraints.txt)
RUN pip install --constraint constraints.txt '.[postgres]' && rm -rf /app/build

USER bot
WORKDIR /home/bot
VOLUME /data
# Only used in webhook mode (WEBHOOK_URL set); long polling needs no open port.
EXPOSE 8080

# /healthz on loopback inside the container (HEALTH_LISTEN stays 127.0.0.1 unless you set it). Exits 0
# at once if HEALTH_PORT is unset; else 1 unless polling/the webhook runs and the database takes a write.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 CMD ["wenwen-bot", "healthcheck"]

CMD ["wenwen-bot"]
