from django.test import Client


def test_catalogue_page_is_served(client: Client, db: None) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert b"GovReach" in response.content


def test_openapi_document_is_served(client: Client, db: None) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "GovReach API"
