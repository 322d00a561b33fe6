from shop.openapi import undocumented_api_routes


def test_every_api_route_has_an_openapi_entry(app):
    assert undocumented_api_routes(app) == []


def test_the_document_is_openapi_3_1_and_lists_the_contract(client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"] == "3.1.0"
    for path, method in [
        ("/tokens", "post"),
        ("/organisations", "post"),
        ("/organisations/{org_id}", "get"),
        ("/organisations/{org_id}/certification", "post"),
        ("/organisations/{org_id}/review", "post"),
        ("/organisations/{org_id}/affiliations", "post"),
        ("/audit", "get"),
    ]:
        assert method in doc["paths"][path], (path, method)
    register = doc["paths"]["/organisations"]["post"]
    assert "201" in register["responses"] and "409" in register["responses"]
    assert "security" not in register
    assert doc["paths"]["/audit"]["get"]["security"] == [{"bearer": []}]
