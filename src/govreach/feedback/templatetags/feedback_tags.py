"""``{% feedback_links kind key %}``: on a citizen's page of a service, the link to rate it once it is
completed (or a thank-you once rated), and the way to complain. One line for other apps' templates."""

from __future__ import annotations

from typing import Any

from django import template

from govreach.accounts.selectors import citizen_account_for
from govreach.feedback.selectors import completed_service_for_citizen

register = template.Library()


@register.inclusion_tag("feedback/_links.html", takes_context=True)
def feedback_links(context: dict[str, Any], kind: str, key: object) -> dict[str, Any]:
    request = context.get("request")
    account = citizen_account_for(request.user) if request is not None else None
    service = completed_service_for_citizen(account, kind=kind, key=str(key)) if account else None
    return {"service": service}
