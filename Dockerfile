# pm-bot as one image for every process: `python -m bot web|worker|run|db upgrade|doctor`.
# Build: docker build -t pm-bot .     Run: see docker-compose.yml and the README ("Run it on a server").
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# Only what the package needs: no .env, no .venv, no data (see .dockerignore).
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install . \
 && useradd --create-home --uid 10001 pmbot \
 && mkdir -p /app/data \
 && chown pmbot /app/data

# Never root: the bot needs no privileges (it listens on $PORT, 3000 by default, not below 1024).
USER pmbot
ENV PORT=3000
EXPOSE 3000

ENTRYPOINT ["python", "-m", "bot"]
CMD ["run"]
