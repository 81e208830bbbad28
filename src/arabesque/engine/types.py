"""The engine's data: snapshots, events, effects and outcomes.

Everything here is plain data that round-trips through JSON, so a host can store a snapshot and the
effects a step returns in one transaction, execute the effects later and feed their outcomes back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from arabesque.engine.budget import DEFAULT_LIMITS, Limits, TimeLeft

__all__ = [
    "JSON",
    "ChildStart",
    "Effect",
    "EmailCall",
    "Env",
    "Event",
    "HttpCall",
    "HttpOutcome",
    "HttpRequest",
    "Notification",
    "Snapshot",
    "Status",
    "Step",
]

JSON: TypeAlias = Any
Status = Literal["active", "completed", "failed"]


@dataclass(frozen=True)
class Event:
    """An event sent to a workflow instance: a name and an optional payload."""

    type: str
    payload: dict[str, JSON] | None = None

    @classmethod
    def from_json(cls, data: dict[str, JSON]) -> Event:
        payload = data.get("payload")
        return cls(type=str(data["type"]), payload=payload if isinstance(payload, dict) else None)


@dataclass(frozen=True)
class Env:
    """What a step may know of the world: the instance's id and runtime config, the time, and its budget.

    The engine reads no clock; the host passes `now_ms` (epoch milliseconds) in, and `time_left`, a callable
    returning the seconds left for the step (the step fails with `BudgetExceeded` once it is not positive).
    `limits` bounds the work the definition's guards, transformers, rules and schemas may do in the step.
    """

    runtime_id: str = ""
    config: dict[str, JSON] | None = None
    now_ms: int = 0
    limits: Limits = DEFAULT_LIMITS
    time_left: TimeLeft | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Snapshot:
    """A workflow instance at rest.

    `pending` maps the id of every effect whose outcome the instance still waits for to the name
    of the plugin that produced it; an outcome for an id not in it is a duplicate and is ignored.
    `seq` numbers effects, so effect ids are stable and unique within an instance.
    """

    state: str
    context: dict[str, JSON]
    status: Status = "active"
    tags: tuple[str, ...] = ()
    pending: dict[str, str] = field(default_factory=dict)
    seq: int = 0

    def to_json(self) -> dict[str, JSON]:
        return {
            "state": self.state,
            "context": self.context,
            "status": self.status,
            "tags": list(self.tags),
            "pending": dict(self.pending),
            "seq": self.seq,
        }

    @classmethod
    def from_json(cls, data: dict[str, JSON]) -> Snapshot:
        return cls(
            state=str(data["state"]),
            context=dict(data.get("context") or {}),
            status=data.get("status", "active"),
            tags=tuple(data.get("tags") or ()),
            pending=dict(data.get("pending") or {}),
            seq=int(data.get("seq") or 0),
        )


@dataclass(frozen=True)
class HttpRequest:
    """An outbound request, with `{secret.NAME}` / `{secrets.NAME}` placeholders still in it.

    Secrets are resolved by the executor at send time, so they are never part of a snapshot, an
    outbox row or an audit record. `query` (GET) is sent URL-encoded; `body` is sent as JSON.
    """

    method: str
    url: str
    headers: dict[str, str]
    query: tuple[tuple[str, str], ...] | None = None
    body: JSON = None
    has_body: bool = False
    hmac_secret: str | None = None  # name of the secret that signs the body (X-HMAC-Signature)

    def to_json(self) -> dict[str, JSON]:
        return {
            "method": self.method,
            "url": self.url,
            "headers": dict(self.headers),
            "query": [list(p) for p in self.query] if self.query is not None else None,
            "body": self.body,
            "hasBody": self.has_body,
            "hmacSecret": self.hmac_secret,
        }

    @classmethod
    def from_json(cls, data: dict[str, JSON]) -> HttpRequest:
        query = data.get("query")
        return cls(
            method=str(data["method"]),
            url=str(data["url"]),
            headers={str(k): str(v) for k, v in (data.get("headers") or {}).items()},
            query=tuple((str(k), str(v)) for k, v in query) if query is not None else None,
            body=data.get("body"),
            has_body=bool(data.get("hasBody")),
            hmac_secret=data.get("hmacSecret"),
        )


@dataclass(frozen=True)
class HttpCall:
    """Effect: make this HTTP request for plugin `plugin`.

    If `awaits_outcome`, feed the result back with `apply_outcome`; otherwise the call is
    fire-and-forget and its result is discarded.
    """

    id: str
    plugin: str
    request: HttpRequest
    awaits_outcome: bool
    type: Literal["http"] = "http"

    def to_json(self) -> dict[str, JSON]:
        return {
            "type": self.type,
            "id": self.id,
            "plugin": self.plugin,
            "request": self.request.to_json(),
            "awaitsOutcome": self.awaits_outcome,
        }


@dataclass(frozen=True)
class ChildStart:
    """Effect: start a child workflow of `definition_id` with this context, then send `init_event`."""

    id: str
    plugin: str
    parent_runtime_id: str
    definition_id: str
    context: JSON
    init_event: str | None
    config: dict[str, JSON]
    type: Literal["child"] = "child"

    def to_json(self) -> dict[str, JSON]:
        return {
            "type": self.type,
            "id": self.id,
            "plugin": self.plugin,
            "parentWorkflowRuntimeId": self.parent_runtime_id,
            "definitionId": self.definition_id,
            "initOptions": {"context": self.context, "event": self.init_event, "config": self.config},
        }


@dataclass(frozen=True)
class Notification:
    """Effect: tell the host's subscribers of `channel` (dispatch-event plugins)."""

    id: str
    plugin: str
    channel: str
    payload: JSON
    state: str
    type: Literal["notify"] = "notify"

    def to_json(self) -> dict[str, JSON]:
        return {
            "type": self.type,
            "id": self.id,
            "plugin": self.plugin,
            "channel": self.channel,
            "event": {"type": self.channel, "payload": self.payload, "state": self.state},
        }


@dataclass(frozen=True)
class EmailCall:
    """Effect: send an e-mail for plugin `plugin` (`template-email`, `email`).

    The engine decides what to say and to whom; the host renders `template` (a Jinja2 template, or the
    project's own) with `data`, builds each link of `links` from its public URL (`links[name]` is the query of
    `<public URL>/collection-flow`, e.g. `{"token": ..., "lng": ...}`), and sends it with the sender its settings
    choose. `adapter` is what the mapped payload asked for (`"log"`: log it, send nothing). The outcome comes
    back as an `HttpOutcome`: `error` None means sent.
    """

    id: str
    plugin: str
    template: str
    to: tuple[str, ...]
    data: dict[str, JSON]
    awaits_outcome: bool
    from_email: str | None = None
    from_name: str | None = None
    subject: str | None = None
    template_id: str | None = None
    links: dict[str, dict[str, str]] = field(default_factory=dict)
    adapter: str | None = None
    type: Literal["email"] = "email"

    def to_json(self) -> dict[str, JSON]:
        return {
            "type": self.type,
            "id": self.id,
            "plugin": self.plugin,
            "template": self.template,
            "to": list(self.to),
            "data": self.data,
            "awaitsOutcome": self.awaits_outcome,
            "from": {"email": self.from_email, "name": self.from_name},
            "subject": self.subject,
            "templateId": self.template_id,
            "links": self.links,
            "adapter": self.adapter,
        }

    @classmethod
    def from_json(cls, data: dict[str, JSON]) -> EmailCall:
        raw_sender, raw_links = data.get("from"), data.get("links")
        sender: dict[str, JSON] = raw_sender if isinstance(raw_sender, dict) else {}
        links: dict[str, JSON] = raw_links if isinstance(raw_links, dict) else {}
        return cls(
            id=str(data["id"]),
            plugin=str(data["plugin"]),
            template=str(data["template"]),
            to=tuple(str(t) for t in data.get("to") or ()),
            data=dict(data.get("data") or {}),
            awaits_outcome=bool(data.get("awaitsOutcome")),
            from_email=sender.get("email"),
            from_name=sender.get("name"),
            subject=data.get("subject"),
            template_id=data.get("templateId"),
            links={str(k): {str(a): str(b) for a, b in v.items()} for k, v in links.items() if isinstance(v, dict)},
            adapter=data.get("adapter"),
        )


Effect: TypeAlias = HttpCall | ChildStart | Notification | EmailCall


@dataclass(frozen=True)
class HttpOutcome:
    """The result of executing an `HttpCall`: a response, or `error` when none came."""

    effect_id: str
    status: int | None = None
    status_text: str = ""
    body: JSON = None
    body_is_json: bool = False
    error: str | None = None

    def to_json(self) -> dict[str, JSON]:
        return {
            "effectId": self.effect_id,
            "status": self.status,
            "statusText": self.status_text,
            "body": self.body,
            "bodyIsJson": self.body_is_json,
            "error": self.error,
        }

    @classmethod
    def from_json(cls, data: dict[str, JSON]) -> HttpOutcome:
        return cls(
            effect_id=str(data["effectId"]),
            status=data.get("status"),
            status_text=str(data.get("statusText") or ""),
            body=data.get("body"),
            body_is_json=bool(data.get("bodyIsJson")),
            error=data.get("error"),
        )


@dataclass(frozen=True)
class Step:
    """What a step did: the new snapshot and the effects to perform, in order.

    `transitions` lists `(event, from_state, to_state)` for every event the step processed,
    callback cascades included, so a host can write its audit log. `duplicate` is true when an
    outcome was already applied (nothing changed). `rejected` carries the message when an outcome's
    callback event was refused by the state the instance had moved on to.
    """

    snapshot: Snapshot
    effects: tuple[Effect, ...] = ()
    transitions: tuple[tuple[str, str, str], ...] = ()
    duplicate: bool = False
    rejected: str | None = None
