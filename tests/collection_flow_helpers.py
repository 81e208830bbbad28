"""Running the demo collection flow over the API and filling its pages, for the page and browser tests."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

from starlette.testclient import TestClient

RUN = "/api/v1/external/workflows/run"
WORKFLOWS = "/api/v1/external/workflows"
DEMO = "kyb_collection_flow_demo"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%demo\n"

REP = "entity.data.additionalInfo.mainRepresentative"
PAGES: dict[str, dict[str, str]] = {
    "personal_details": {
        f"{REP}.firstName": "Ada",
        f"{REP}.lastName": "Lovelace",
        f"{REP}.additionalInfo.jobTitle": "CFO",
        f"{REP}.dateOfBirth": "1990-01-02",
        f"{REP}.phone": "+491701234567",
        "entity.data.additionalInfo.iHaveSigningAuthority": "true",
    },
    "company_information": {
        "entity.data.registrationNumber": "HRB 12345",
        "entity.data.country": "DE",
        "entity.data.companyName": "Acme GmbH",
        "entity.data.taxIdentificationNumber": "DE123456789",
        "entity.data.businessType": "corporation",
        "entity.data.additionalInfo.dateOfEstablishment": "2010-05-01",
    },
    "business_address_information": {
        "entity.data.additionalInfo.headquarters.street": "Hauptstraße",
        "entity.data.additionalInfo.headquarters.streetNumber": "12",
        "entity.data.additionalInfo.headquarters.postalCode": "10115",
        "entity.data.additionalInfo.headquarters.city": "Berlin",
        "entity.data.additionalInfo.headquarters.country": "DE",
        "entity.data.additionalInfo.headquarters.phone": "+493012345678",
    },
}
UBO = "entity.data.additionalInfo.ubos[0]"
DIRECTOR = "entity.data.additionalInfo.directors[0]"
OWNERS = {
    f"{UBO}.firstName": "Grace",
    f"{UBO}.lastName": "Hopper",
    f"{UBO}.additionalInfo.role": "Owner",
    f"{UBO}.additionalInfo.dateOfBirth": "1980-12-09",
    f"{UBO}.email": "grace@acme.test",
    f"{DIRECTOR}.firstName": "Alan",
    f"{DIRECTOR}.lastName": "Turing",
    f"{DIRECTOR}.additionalInfo.role": "Director",
    f"{DIRECTOR}.additionalInfo.dateOfBirth": "1970-06-23",
    f"{DIRECTOR}.additionalInfo.nationality": "GB",
    f"{DIRECTOR}.nationalId": "AB123456",
    f"{DIRECTOR}.additionalInfo.fullAddress": "1 King's Road, London",
    f"{DIRECTOR}.email": "alan@acme.test",
}
DOCUMENTS = [
    "document-bank-statement",
    "document-company-structure",
    "document-certificate-of-registration",
    "document-proof-of-address",
]


def run_body(entity_id: str = "acme-gmbh") -> dict[str, Any]:
    return {
        "workflowId": DEMO,
        "context": {
            "entity": {
                "type": "business",
                "id": entity_id,
                "data": {
                    "companyName": "Acme GmbH",
                    "additionalInfo": {
                        "mainRepresentative": {"firstName": "Ada", "lastName": "Lovelace", "email": "ada@acme.test"}
                    },
                },
            },
            "documents": [],
        },
    }


def run_demo(client: TestClient, headers: dict[str, str], entity_id: str = "acme-gmbh") -> tuple[str, str]:
    """(runtime id, token) of a new run of the demo definition."""
    resp = client.post(RUN, json=run_body(entity_id), headers=headers)
    assert resp.status_code == 200, resp.text
    out = resp.json()
    return out["workflowRuntimeId"], parse_qs(urlparse(out["collectionFlowUrl"]).query)["token"][0]
