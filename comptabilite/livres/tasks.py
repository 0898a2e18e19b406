"""The FEC export in the background, with progress the page polls (large fiscal years)."""

import logging
import shutil
import time
from pathlib import Path

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from comptabilite.livres.fec import FecOptions, fec_count, fec_exporter
from pgi.models import Company, User

RUN_TTL = 24 * 3600
logger = logging.getLogger(__name__)


def fec_run_key(company_id: int, run_id: str) -> str:
    return f"fec:{company_id}:{run_id}"


def fec_folder(company_id: int, run_id: str) -> Path:
    """Where a run writes its files: under the media root, one folder per run."""
    return Path(settings.MEDIA_ROOT) / "exports" / "fec" / str(company_id) / run_id


def _purge_old_runs(company_id: int) -> None:
    """Removes the company's exports older than a run's life in the cache: nothing links to
    them any more (the FEC can be exported again at any time)."""
    root = fec_folder(company_id, "x").parent
    limit = time.time() - RUN_TTL
    for folder in root.glob("*") if root.exists() else []:
        if folder.is_dir() and folder.stat().st_mtime < limit:
            shutil.rmtree(folder, ignore_errors=True)


@shared_task
def fec_export_task(
    company_id: int, run_id: str, start: str, end: str, separator: str, encoding: str,
    user_id: int | None = None,
) -> dict:  # fmt: skip
    """Writes the FEC of the period and leaves its state in the cache for the page."""
    from datetime import date

    key = fec_run_key(company_id, run_id)
    _purge_old_runs(company_id)
    company = Company.objects.get(pk=company_id)
    user = User.objects.filter(pk=user_id).first() if user_id else None
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    total = fec_count(company=company, start=first, end=last)
    running = {"state": "running", "total": total, "started": timezone.now().isoformat()}
    cache.set(key, {**running, "done": 0, "percent": 0}, RUN_TTL)

    def progress(done: int) -> None:
        percent = min(99, done * 100 // total) if total else 0
        cache.set(key, {**running, "done": done, "percent": percent}, RUN_TTL)

    try:
        exported = fec_exporter(
            company=company, start=first, end=last, output_dir=fec_folder(company_id, run_id),
            user=user, options=FecOptions(separator=separator, encoding=encoding),
            progress=progress,
        )  # fmt: skip
    except Exception:
        logger.exception("FEC export %s of company %s failed", run_id, company_id)
        cache.set(key, {"state": "failed"}, RUN_TTL)
        raise
    result = {
        "state": "done",
        "lines": exported.lines,
        "filename": exported.path.name,
        "description": exported.description.name,
        "finished": timezone.now().isoformat(),
    }
    cache.set(key, result, RUN_TTL)
    return result
