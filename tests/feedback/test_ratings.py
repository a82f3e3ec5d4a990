"""The one-question rating after a completed service: once per service and person, own services only."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from govreach.accounts.models import CitizenAccount
from govreach.cases.models import Application
from govreach.feedback import services
from govreach.feedback.figures import satisfaction_rows
from govreach.feedback.models import Rating

from .conftest import citizen_client


def test_a_decided_application_can_be_rated_once(
    citizen: CitizenAccount, make_application: Callable[..., Application]
) -> None:
    application = make_application(citizen)
    first, created = services.rating_submit(account=citizen, kind="case", key=str(application.pk), rating=4)
    again, created_again = services.rating_submit(
        account=citizen, kind="case", key=str(application.pk), rating=1, comment="changed my mind"
    )
    assert created and not created_again
    assert again.pk == first.pk and again.rating == 4 and again.comment == ""
    assert Rating.objects.count() == 1
    assert first.area is not None and first.area.code == "BD-30260101"
    assert first.channel == "digital" and first.service == "bd-land-mutation"


def test_an_open_application_cannot_be_rated_yet(
    citizen: CitizenAccount, make_application: Callable[..., Application]
) -> None:
    application = make_application(citizen, state="registered")
    with pytest.raises(services.NotPermitted):
        services.rating_submit(account=citizen, kind="case", key=str(application.pk), rating=5)


def test_another_persons_application_cannot_be_rated(
    citizen: CitizenAccount, other_citizen: CitizenAccount, make_application: Callable[..., Application]
) -> None:
    application = make_application(other_citizen)
    with pytest.raises(services.NotPermitted):
        services.rating_submit(account=citizen, kind="case", key=str(application.pk), rating=5)


def test_a_rating_outside_one_to_five_is_refused(
    citizen: CitizenAccount, make_application: Callable[..., Application]
) -> None:
    application = make_application(citizen)
    with pytest.raises(services.FeedbackError):
        services.rating_submit(account=citizen, kind="case", key=str(application.pk), rating=6)


def test_an_application_filed_by_an_intermediary_counts_as_assisted(
    citizen: CitizenAccount, other_citizen: CitizenAccount, make_application: Callable[..., Application]
) -> None:
    application = make_application(citizen, by=other_citizen.user)
    rating, _ = services.rating_submit(account=citizen, kind="case", key=str(application.pk), rating=3)
    assert rating.channel == "assisted"


def test_the_comment_is_cut_to_the_configured_length(
    settings: object, citizen: CitizenAccount, make_application: Callable[..., Application]
) -> None:
    settings.GOVREACH_FEEDBACK_COMMENT_MAX_CHARS = 10  # type: ignore[attr-defined]
    application = make_application(citizen)
    rating, _ = services.rating_submit(
        account=citizen, kind="case", key=str(application.pk), rating=2, comment="x" * 50
    )
    assert rating.comment == "x" * 10


def test_the_rating_page_asks_one_question_and_a_double_post_keeps_one_answer(
    citizen: CitizenAccount, make_application: Callable[..., Application]
) -> None:
    application = make_application(citizen)
    client = citizen_client(citizen)
    url = f"/feedback/rate/case/{application.pk}/"
    page = client.get(url).content.decode()
    assert "How satisfied are you with" in page and page.count('type="radio"') == 5
    assert "<legend" in page
    for _ in range(2):
        response = client.post(url, {"rating": "5", "comment": "quick and clear"})
        assert response.status_code == 302
    assert Rating.objects.get().rating == 5
    done = client.get(url).content.decode()
    assert "5 out of 5" in done and "quick and clear" not in done


def test_the_rating_page_shows_the_error_linked_to_the_question(
    citizen: CitizenAccount, make_application: Callable[..., Application]
) -> None:
    application = make_application(citizen)
    response = citizen_client(citizen).post(f"/feedback/rate/case/{application.pk}/", {"comment": ""})
    assert response.status_code == 400
    assert 'href="#id_rating_0"' in response.content.decode()
    assert not Rating.objects.exists()


def test_the_rating_page_of_someone_elses_service_is_not_found(
    citizen: CitizenAccount, other_citizen: CitizenAccount, make_application: Callable[..., Application]
) -> None:
    application = make_application(other_citizen)
    client = citizen_client(citizen)
    assert client.get(f"/feedback/rate/case/{application.pk}/").status_code == 404
    assert client.post(f"/feedback/rate/case/{application.pk}/", {"rating": "1"}).status_code == 404
    assert not Rating.objects.exists()


def test_the_rating_pages_need_a_signed_in_citizen(
    db: None, citizen: CitizenAccount, make_application: Callable[..., Application]
) -> None:
    from django.test import Client

    application = make_application(citizen)
    response = Client().get(f"/feedback/rate/case/{application.pk}/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_list_links_each_completed_service_and_skips_open_ones(
    citizen: CitizenAccount, make_application: Callable[..., Application]
) -> None:
    done = make_application(citizen)
    open_one = make_application(citizen, state="registered")
    page = citizen_client(citizen).get("/feedback/rate/").content.decode()
    assert done.reference in page and open_one.reference not in page


def test_satisfaction_rows_count_ratings_without_comments(
    citizen: CitizenAccount, other_citizen: CitizenAccount, make_application: Callable[..., Application]
) -> None:
    for account, score in ((citizen, 4), (other_citizen, 4)):
        application = make_application(account)
        services.rating_submit(
            account=account, kind="case", key=str(application.pk), rating=score, comment="secret words"
        )
    third = make_application(citizen)
    services.rating_submit(account=citizen, kind="case", key=str(third.pk), rating=1)
    rows = satisfaction_rows()
    assert {(r["rating"], r["count"]) for r in rows} == {(4, 2), (1, 1)}
    assert all(set(r) == {"service", "area_code", "month", "channel", "rating", "count"} for r in rows)
    assert all(r["area_code"] == "BD-30260101" and len(r["month"]) == 7 for r in rows)
    assert "secret words" not in repr(rows)
    assert satisfaction_rows(service="other-pack") == []


def test_the_application_page_offers_the_rating_once_the_application_is_final(
    citizen: CitizenAccount, make_application: Callable[..., Application]
) -> None:
    done = make_application(citizen)
    open_one = make_application(citizen, state="registered")
    client = citizen_client(citizen)
    rate_url = f"/feedback/rate/case/{done.pk}/"
    assert rate_url in client.get(f"/account/applications/{done.reference}/").content.decode()
    assert (
        "/feedback/rate/" not in client.get(f"/account/applications/{open_one.reference}/").content.decode()
    )
    client.post(rate_url, {"rating": "3"})
    assert "3 out of 5" in client.get(f"/account/applications/{done.reference}/").content.decode()


def test_a_granted_entitlement_can_be_rated_by_a_person_it_concerns(
    citizen: CitizenAccount, other_citizen: CitizenAccount
) -> None:
    import datetime as dt

    from govreach.entitlements.models import Cycle, Entitlement, EntitlementPerson
    from govreach.registry.models import Area, Person

    parish = Area.objects.get(code="BD-30260101")
    person = Person.objects.create(national_id="123456789", area=parish)
    citizen.person = person
    citizen.save(update_fields=["person"])
    cycle = Cycle.objects.create(
        pack_id="pt-social-energy-tariff",
        pack_version="1",
        decided_on=dt.date(2026, 11, 1),
        registries_dir="/tmp/r",
        workdir="/tmp/w",
    )
    entitlement = Entitlement.objects.create(
        pack_id="pt-social-energy-tariff",
        unit_key="PT0002000012345678AB",
        supply_point_code="PT0002000012345678AB",
        valid_from=dt.date(2026, 11, 1),
        granted_in=cycle,
    )
    EntitlementPerson.objects.create(
        entitlement=entitlement, national_id="123456789", is_contract_holder=True
    )
    rating, created = services.rating_submit(
        account=citizen, kind="entitlement", key=str(entitlement.pk), rating=5
    )
    assert created and rating.service == "pt-social-energy-tariff" and rating.area == parish
    with pytest.raises(services.NotPermitted):
        services.rating_submit(account=other_citizen, kind="entitlement", key=str(entitlement.pk), rating=1)
    entitlement.status = Entitlement.Status.ENDED
    entitlement.save(update_fields=["status"])
    assert (
        services.rating_submit(account=citizen, kind="entitlement", key=str(entitlement.pk), rating=1)[0]
        == rating
    )


def test_a_rating_by_sms_rates_the_senders_newest_unrated_service_once(
    citizen: CitizenAccount, make_application: Callable[..., Application]
) -> None:
    from govreach.notify.models import OutboxMessage
    from govreach.ussd.services import sms_inbound_handle

    older = make_application(citizen)
    newer = make_application(citizen)
    assert sms_inbound_handle(sender=citizen.phone, body="RATE 2", gateway_id="g-1") == "rated"
    assert sms_inbound_handle(sender=citizen.phone, body="RATE 2", gateway_id="g-1") == "duplicate"
    assert (
        sms_inbound_handle(sender=citizen.phone, body=f"RATE {older.reference} 5", gateway_id="g-2")
        == "rated"
    )
    assert dict(Rating.objects.values_list("service_key", "rating")) == {str(newer.pk): 2, str(older.pk): 5}
    assert set(Rating.objects.values_list("via", flat=True)) == {"sms"}
    assert sms_inbound_handle(sender=citizen.phone, body="RATE 4", gateway_id="g-3") == "rating_refused"
    assert sms_inbound_handle(sender=citizen.phone, body="RATE nine", gateway_id="g-4") == "rating_refused"
    replies = list(OutboxMessage.objects.order_by("pk").values_list("message_id", flat=True))
    assert replies == ["feedback_thanks", "feedback_thanks", "feedback_rate_help", "feedback_rate_help"]


def test_applicants_of_decided_applications_are_invited_to_rate_once(
    citizen: CitizenAccount, make_application: Callable[..., Application]
) -> None:
    from django.core.management import call_command

    from govreach.notify.models import OutboxMessage

    done = make_application(citizen)
    make_application(citizen, state="registered")
    rated = make_application(citizen)
    services.rating_submit(account=citizen, kind="case", key=str(rated.pk), rating=4)
    assert services.feedback_invite() == 1
    call_command("feedback", "invite")
    invite = OutboxMessage.objects.get(message_id="feedback_invite")
    assert invite.recipient == citizen.phone
    assert done.reference in invite.body and f"/feedback/rate/case/{done.pk}/" in invite.body
