"""Ballerine's KYB-with-UBOs definition (`kyb_parent_kyc_session_example`, tests/fixtures/ballerine) runs its UBO
path through `arabesque simulate`: a child KYC workflow started per UBO, the registry enrichment against a loopback
server, the children's results arriving, review, and the resubmission e-mail, whose outcome the scenario supplies
(`--emails`)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from paths import ROOT
from worker.receiver import Receiver, serve

DEFINITION = ROOT / "tests" / "fixtures" / "ballerine" / "kyb_parent_kyc_session_example.json"
UBOS = [{"id": "ubo-1", "firstName": "Ann"}, {"id": "ubo-2", "firstName": "Bo"}]
CONTEXT = {
    "entity": {
        "type": "business",
        "id": "zed",
        "data": {
            "companyName": "Zed Ltd",
            "countryOfIncorporation": "GB",
            "registrationNumber": "0123",
            "additionalInfo": {
                "ubos": UBOS,
                "mainRepresentative": {"email": "ada@zed.example", "firstName": "Ada"},
            },
        },
    },
    "metadata": {"token": "tok-1", "customerName": "Acme Bank"},
    "documents": [],
}


def _children(decisions: list[str | None]) -> dict[str, Any]:
    """What the host merges into the parent as the children reach `kyc_manual_review` (engine.md §3.7.3)."""
    results = {
        f"child-{i}": {"entityId": ubo["id"], "state": "kyc_manual_review", "result": {"vendorResult": {"decision": d}}}
        for i, (ubo, d) in enumerate(zip(UBOS, decisions, strict=True))
    }
    return {
        "type": "DEEP_MERGE_CONTEXT",
        "payload": {"newContext": {"childWorkflows": {"kyc_email_session_example": results}}},
    }


@pytest.fixture
def registry() -> Iterator[Receiver]:
    with serve() as receiver:
        receiver.rule = lambda r, n: (200, {"companyName": "ZED LTD", "status": "Active"}, {})
        yield receiver


def _simulate(
    tmp_path: Path, registry: Receiver, events: list[dict[str, Any]], emails: Any = None
) -> list[dict[str, Any]]:
    (tmp_path / "ctx.json").write_text(json.dumps(CONTEXT))
    (tmp_path / "events.json").write_text(json.dumps(events))
    argv = [sys.executable, "-m", "arabesque", "simulate", str(DEFINITION), "--context", str(tmp_path / "ctx.json")]
    argv += ["--events", str(tmp_path / "events.json")]
    if emails is not None:
        (tmp_path / "emails.json").write_text(json.dumps(emails))
        argv += ["--emails", str(tmp_path / "emails.json")]
    # `{secret.UNIFIED_API_URL}`: Ballerine's environment variable, here the loopback registry
    env = {"PATH": "/usr/bin:/bin", "UNIFIED_API_URL": registry.url, "UNIFIED_API_TOKEN": "t0k"}
    done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


EVENTS = [
    {"type": "start"},
    _children(["approved", None]),
    {"type": "KYC_RESPONDED"},  # one child has its vendor's decision, the other not yet: the guard holds the parent
    _children(["approved", "declined"]),
    {"type": "KYC_RESPONDED"},
    {"type": "revision"},
]


def test_the_ubo_path_runs_and_the_resubmission_email_is_sent(tmp_path: Path, registry: Receiver) -> None:
    lines = _simulate(tmp_path, registry, EVENTS)
    assert [(line["event"], line["state"]) for line in lines] == [
        (None, "data_collection"),
        ("start", "pending_kyc_response_to_finish"),  # run_ubos -> CONTINUE -> run_kyb_enrichment -> KYB_DONE
        ("DEEP_MERGE_CONTEXT", "pending_kyc_response_to_finish"),
        ("KYC_RESPONDED", "pending_kyc_response_to_finish"),
        ("DEEP_MERGE_CONTEXT", "pending_kyc_response_to_finish"),
        ("KYC_RESPONDED", "manual_review"),
        ("revision", "awaiting_resubmission"),  # revision -> pending_resubmission -> EMAIL_SENT
    ]
    assert [line.get("error") for line in lines] == [None] * 7
    [lookup] = registry.requests
    assert lookup.path == "/companies/GB/0123?vendor=open-corporates"
    assert lookup.headers["authorization"] == "Bearer t0k"
    context = lines[-1]["context"]
    assert context["pluginsOutput"]["open_corporates"] == {"companyName": "ZED LTD", "status": "Active"}
    assert context["pluginsOutput"]["resubmission"] == {}


def test_a_failed_resubmission_email_takes_the_error_action(tmp_path: Path, registry: Receiver) -> None:
    lines = _simulate(tmp_path, registry, EVENTS, {"resubmission-email": {"error": "550 mailbox unavailable"}})
    last = lines[-1]
    assert last["state"] == "awaiting_resubmission" and last["error"] is None  # EMAIL_FAILURE leads there too
    assert last["context"]["pluginsOutput"]["resubmission"] == {
        "name": "resubmission",
        "error": "550 mailbox unavailable",
        "status": "ERROR",
    }


def test_without_ubos_the_parent_goes_straight_to_review(tmp_path: Path, registry: Receiver) -> None:
    CONTEXT_NO_UBOS = json.loads(json.dumps(CONTEXT))
    CONTEXT_NO_UBOS["entity"]["data"]["additionalInfo"]["ubos"] = []
    (tmp_path / "ctx.json").write_text(json.dumps(CONTEXT_NO_UBOS))
    (tmp_path / "events.json").write_text(json.dumps([{"type": "start"}]))
    argv = [sys.executable, "-m", "arabesque", "simulate", str(DEFINITION), "--context", str(tmp_path / "ctx.json")]
    argv += ["--events", str(tmp_path / "events.json")]
    env = {"PATH": "/usr/bin:/bin", "UNIFIED_API_URL": registry.url}
    done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1])["state"] == "manual_review"  # the `always` guard


def test_bad_email_outcomes_are_an_input_error(tmp_path: Path, registry: Receiver) -> None:
    (tmp_path / "emails.json").write_text(json.dumps({"resubmission-email": "maybe"}))
    argv = [sys.executable, "-m", "arabesque", "simulate", str(DEFINITION), "--emails", str(tmp_path / "emails.json")]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=tmp_path, timeout=60, check=False)
    assert done.returncode == 2 and 'resubmission-email: must be "sent" or {"error": "<message>"}' in done.stderr
