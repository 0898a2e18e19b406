"""The fake approved platform (tests/fakes/plateforme.py) served from this process, and a
company connected to it."""

import json

import pytest
import requests
from django.urls import reverse

from facturation.plateforme.services import connexion_enregistrer
from tests import factories

API_KEY = "pa_test_" + "0123456789abcdef"
WEBHOOK_SECRET = "whsec_fake_pa"


@pytest.fixture(scope="session")
def fake_pa_server():
    from tests.fakes.plateforme import FakePlateforme

    server = FakePlateforme()
    yield server
    server.stop()


@pytest.fixture
def fake_pa(fake_pa_server):
    fake_pa_server.reset()
    return fake_pa_server


@pytest.fixture
def company(db, fake_pa):
    company = factories.issuing_company()
    connexion_enregistrer(company=company, active=True, base_url=fake_pa.url, name="Fake PA",
                          api_key=API_KEY, webhook_secret=WEBHOOK_SECRET)  # fmt: skip
    return company


@pytest.fixture
def customer(company):
    return factories.business_client(company)


def control(fake, path: str, **data):
    response = requests.post(fake.url + path, data=data, timeout=10)
    response.raise_for_status()
    return response.json()


def flows(fake) -> list[dict]:
    return requests.get(fake.url + "/_fake/flows", timeout=10).json()


def events(fake) -> list[dict]:
    return requests.get(fake.url + "/_fake/events", timeout=10).json()


def deliver(client, connexion, event: dict):
    """Posts one of the fake's signed events to our webhook, as the platform would."""
    return client.post(
        reverse("plateforme_webhooks:webhook", args=[connexion.webhook_token]),
        data=event["body"].encode(), content_type="application/json",
        HTTP_X_SIGNATURE=event["signature"],
    )  # fmt: skip


def event_of(fake, code: str) -> dict:
    def code_of(event):
        return (json.loads(event["body"]).get("status") or {}).get("statusCode")

    return next(e for e in events(fake) if code_of(e) == code)
