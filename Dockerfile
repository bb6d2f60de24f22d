# The gateway alone: configure it with SHIPGRAPH_* variables (see README and
# docs/operator.md). Its records go to SHIPGRAPH_DATABASE_URL (PostgreSQL in
# production); unset, to the SQLite file in the /var/lib/shipgraph volume. Migrate
# before serving:
#   docker run --rm -e SHIPGRAPH_DATABASE_URL=... IMAGE db upgrade
#   docker run -e SHIPGRAPH_DATABASE_URL=... -p 8000:8000 IMAGE
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install . && useradd --create-home --uid 10001 shipgraph \
    && mkdir -p /var/lib/shipgraph && chown shipgraph /var/lib/shipgraph

USER shipgraph
# the embedded database's folder (shipgraph.sqlite3, written with WAL beside it)
WORKDIR /var/lib/shipgraph
VOLUME /var/lib/shipgraph
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
ENTRYPOINT ["shipgraph"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
