# One image for every service; the command picks the service and what the process runs.
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app/libs:/app/services:/app
WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock
COPY libs ./libs
COPY services ./services
COPY scripts ./scripts
RUN useradd --system --uid 10001 app
USER app
# e.g. `python -m lending serve`, `python -m lending migrate`
ENTRYPOINT ["python", "-m"]
CMD ["registry", "serve"]
