# syntax=docker/dockerfile:1
# One image for the four services. Pick the service with SERVICE=<name> or as the first
# argument:   docker run -e SERVICE=scoring crm-suite   |   docker run crm-suite scoring
# Any other arguments run as a command, e.g. `docker run crm-suite crm lag`.

ARG PYTHON_IMAGE=python:3.11-slim

# --- build: install the project and its runtime dependencies (no dev extras) into a venv
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY . .
RUN pip install --upgrade pip && pip install . && pip check

# --- runtime
FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="crm-suite" \
      org.opencontainers.image.description="Event-driven customer classification suite"
# tzdata: quiet hours are computed in the customer's time zone (zoneinfo needs the database).
RUN apt-get update \
    && apt-get install -y --no-install-recommends tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 crm \
    && useradd --system --uid 10001 --gid crm --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin crm \
    && install -d -o crm -g crm -m 0700 /var/lib/crm/signing-keys
# (registry's signing keys: a volume mounted there starts out owned by crm)
COPY --from=build /opt/venv /opt/venv
# The source tree is also on PYTHONPATH: the rules, name lists, templates and the operator
# panel's static files are read next to the modules, whatever the wheel carried.
COPY --chown=root:root shared /app/shared
COPY --chown=root:root services /app/services
COPY --chown=root:root deploy/docker/entrypoint.sh deploy/docker/healthcheck.py /usr/local/bin/
RUN chmod 0755 /usr/local/bin/entrypoint.sh /usr/local/bin/healthcheck.py
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CRM_HTTP_HOST=0.0.0.0
WORKDIR /app
USER 10001:10001
EXPOSE 8000 8001 8002 8003
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "/usr/local/bin/healthcheck.py", "/health"]
ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]
CMD []
