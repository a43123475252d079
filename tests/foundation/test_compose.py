"""docker-compose.yml describes the production shape, even with no Docker engine here."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_every_service_with_health_checks():
    services = _compose()["services"]

    assert set(services) == {"web", "worker", "beat", "db", "redis"}
    for name in ("web", "worker", "db", "redis"):
        assert "healthcheck" in services[name], name
    assert "gunicorn" in services["web"]["command"]
    assert "worker" in services["worker"]["command"]
    assert "beat" in services["beat"]["command"]


def test_app_services_wait_for_healthy_database_and_redis():
    services = _compose()["services"]

    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["db"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
        assert services[name]["environment"]["DJANGO_SETTINGS_MODULE"] == "config.settings.prod"


def test_database_has_a_volume_and_redis_never_evicts():
    compose = _compose()

    assert "db-data:/var/lib/postgresql/data" in compose["services"]["db"]["volumes"]
    assert "db-data" in compose["volumes"]
    assert "--maxmemory-policy noeviction" in compose["services"]["redis"]["command"]


def test_static_files_are_served_by_whitenoise():
    from django.conf import settings

    assert "whitenoise.middleware.WhiteNoiseMiddleware" in settings.MIDDLEWARE
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "collectstatic" in dockerfile


def test_workers_scale_from_the_environment_and_beat_stays_single():
    """docs/performance.md, "Growing past one machine": more gunicorn and Celery workers
    on the same PostgreSQL and Redis, set in .env, never a second beat."""
    services = _compose()["services"]
    assert "GUNICORN_WORKERS" in services["web"]["command"]
    assert "CELERY_CONCURRENCY" in services["worker"]["command"]
    assert services["worker"]["deploy"]["replicas"] == "${WORKER_REPLICAS:-1}"
    assert services["beat"]["deploy"]["replicas"] == 1


def test_app_processes_keep_their_database_connections():
    """docs/performance.md: each gunicorn and Celery process keeps its connection instead
    of opening one per request; Django checks it before reusing it."""
    from django.conf import settings

    for name in ("web", "worker", "beat"):
        environment = _compose()["services"][name]["environment"]
        assert environment["DATABASE_CONN_MAX_AGE"] == "${DATABASE_CONN_MAX_AGE:-60}"
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
