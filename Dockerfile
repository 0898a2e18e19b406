# Encaisse web, worker and beat image (docker-compose.yml runs the three from it). They connect
# as the application's database role (DATABASE_URL: encaisse_app, rows only); the one-shot
# `migrate` service of docker-compose.yml runs the same image as the owner (encaisse_owner).
FROM python:3.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=pgi.settings
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      gettext nodejs npm postgresql-client \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core fonts-droid-fallback \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
RUN pip install --no-cache-dir -e .
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY . .
# static/vendor from the one list of scripts/assets.sh, which scripts/setup.sh runs too.
RUN bash scripts/assets.sh \
 && export DJANGO_ENV=production SECRET_KEY=build REGISTRE_HMAC_KEY=build PAYMENT_SECRETS_KEYS=build ALLOWED_HOSTS=build \
 && python manage.py compilemessages -v 0 \
 && python manage.py collectstatic --no-input -v 0

EXPOSE 8000
CMD ["gunicorn", "pgi.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
