FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE_PATH=/data/wenwen-bot.sqlite3

RUN useradd --system --create-home --home-dir /home/bot --shell /usr/sbin/nologin bot \
    && mkdir -p /data \
    && chown bot:bot /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY storage ./storage
RUN pip install . && rm -rf /app/build

USER bot
WORKDIR /home/bot
VOLUME /data
# Only used in webhook mode (WEBHOOK_URL set); long polling needs no open port.
EXPOSE 8080

CMD ["wenwen-bot"]
