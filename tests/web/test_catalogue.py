"""The public catalogue at /: accessible, server-rendered, in the visitor's language."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from govreach.catalogue.models import ServicePack


def page(client: Client, url: str = "/", **headers: str) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    return response.content.decode()


def test_catalogue_lists_each_service_with_its_facts_and_link(
    client: Client, pt_service_pack: ServicePack
) -> None:
    html = page(client, "/?lang=en")
    assert "Social energy tariff (automatic attribution)" in html
    assert "A discount on the electricity bill" in html
    assert "Given automatically, without applying" in html  # kind
    assert "Portugal" in html
    assert "<cite>Decreto-Lei 138-A/2010</cite>" in html
    assert "<cite>Lei 7-A/2016, art. 121</cite>" in html
    assert 'href="/services/pt-social-energy-tariff/?lang=en"' in html


def test_catalogue_is_an_accessible_page_without_javascript(
    client: Client, pt_service_pack: ServicePack
) -> None:
    html = page(client)
    assert html.startswith("<!doctype html>")
    assert '<html lang="en">' in html
    assert len(re.findall(r"<h1[ >]", html)) == 1
    assert '<a class="skip" href="#main">' in html
    assert '<main id="main"' in html
    assert "<header>" in html
    assert "<footer>" in html
    assert 'name="viewport"' in html
    assert "<script" not in html
    # The services are a list, each an article named by its heading.
    assert re.search(
        r'<ul class="plain"[^>]*>\s*<li>\s*<article class="card" aria-labelledby="service-', html
    )


def test_catalogue_links_to_the_api_docs_and_openapi_document(client: Client, db: None) -> None:
    html = page(client)
    assert 'href="/api/docs"' in html
    assert 'href="/api/openapi.json"' in html


def test_catalogue_follows_accept_language(client: Client, pt_service_pack: ServicePack) -> None:
    response = client.get("/", headers={"accept-language": "pt-PT,pt;q=0.9,en;q=0.8"})
    html = response.content.decode()
    assert '<html lang="pt">' in html
    assert "<h1>Serviços públicos</h1>" in html
    assert "Tarifa social de energia (atribuição automática)" in html
    assert "Accept-Language" in response["Vary"]


def test_lang_parameter_overrides_accept_language(client: Client, pt_service_pack: ServicePack) -> None:
    html = page(client, "/?lang=en", accept_language="pt")
    assert '<html lang="en">' in html
    assert "Social energy tariff" in html
    assert 'aria-current="true">English<' in html


def test_a_language_no_pack_has_falls_back_to_english(client: Client, pt_service_pack: ServicePack) -> None:
    html = page(client, "/?lang=fr", accept_language="de-DE,de;q=0.9")
    assert '<html lang="en">' in html
    assert "Social energy tariff" in html


@pytest.mark.django_db
def test_an_empty_catalogue_says_how_to_load_packs(client: Client) -> None:
    assert "govreach packs load packs/" in page(client)


@pytest.mark.django_db
def test_pack_texts_in_a_language_without_page_words_are_marked_with_their_language(client: Client) -> None:
    ServicePack.objects.create(
        pack_id="kr-example",
        version="1.0.0",
        kind="outreach",
        unit="person",
        country="KR",
        titles={"sw": "Ziara za afya nyumbani", "en": "Home health visits"},
        summaries={"sw": "Tunawatembelea wazee nyumbani."},
        languages=["sw", "en"],
        path="/nowhere",
        digest="0" * 64,
        loaded_at=timezone.now(),
        is_active=True,
    )
    # Swahili: the pack speaks it, the interface has no catalogue for it (yet).
    html = page(client, "/?lang=sw")
    assert '<html lang="en">' in html  # the page's own words fall back to English...
    assert 'lang="sw">Ziara za afya nyumbani</a>' in html  # ...and the service's Swahili texts say so
    assert '<p lang="sw">Tunawatembelea wazee nyumbani.</p>' in html
