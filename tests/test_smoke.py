from django.test import Client


def test_catalogue_page_is_served(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert b"GovReach" in response.content
