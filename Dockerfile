# The API image (also runs the outbox worker and the migrations, with another command).
# Slim, non-root, pinned: Python patch release and every package in app/requirements.txt.
#   docker build -t gdpr-api .
#   API:        (default command)
#   worker:     python -m app.audit.worker
#   migrations: python -m app.db.migrate
FROM python:3.11.7-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /srv
COPY app/requirements.txt /tmp/requirements.txt
# Wheels only: no compiler in the image, and no sdist build running arbitrary code.
RUN pip install --only-binary=:all: -r /tmp/requirements.txt && rm /tmp/requirements.txt \
    && groupadd --system --gid 10001 api \
    && useradd --system --uid 10001 --gid api --no-create-home --shell /usr/sbin/nologin api

COPY --chown=root:root app/ /srv/app/
# The local run (app/local.py) needs devservices and is not part of the image.
RUN rm -f /srv/app/local.py /srv/app/requirements-test.txt

USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/v1/health', timeout=2)"]
CMD ["uvicorn", "app.main:create_app", "--factory", "--host", "0.0.0.0", "--port", "8080", \
     "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--timeout-graceful-shutdown", "20"]
