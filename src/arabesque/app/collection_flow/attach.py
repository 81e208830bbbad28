"""The host side of the `attach-ui-definition` plugin (reference §1.3d): the engine asks for a token
(`FlowTokenRequest`); this answers in the transaction of the step that asked, then steps the runtime with the
answer (`apply_outcome`: `metadata` merged, successAction; or the error and errorAction).

Unlike Ballerine: the UI definition is the project's with that id, else the newest with that name (never an
arbitrary row); the token's end user is the runtime's own end user, else the business's first linked one (the
oldest link); the answer merged into `metadata` carries the flow's address without the token (the token is never
stored in the context). Tokens issued for the runtime later keep showing that UI definition (`tokens.py`).
"""

from __future__ import annotations

from sqlalchemy import or_, select

from arabesque.app.collection_flow.links import collection_flow_url
from arabesque.app.collection_flow.tokens import issue_token
from arabesque.engine import Definition, FlowTokenRequest, HttpOutcome, apply_outcome
from arabesque.store import Customer, EndUserBusiness, Project, Runtime, Transaction, UiDefinition

__all__ = ["answer_token_request"]


def answer_token_request(tx: Transaction, rt: Runtime, defn: Definition, request: FlowTokenRequest, actor: str) -> None:
    """Issue the token the plugin asked for and step `rt` with the outcome, in `tx`."""
    from arabesque.app.workflows.runtime import env_of, snapshot_of
    from arabesque.app.workflows.steps import apply_step

    outcome = _outcome(tx, rt, request)
    result = apply_outcome(defn, snapshot_of(rt), outcome, env_of(rt))
    if not result.duplicate:
        apply_step(tx, rt, defn, result, actor, request.plugin, kind="plugin outcome")


def _outcome(tx: Transaction, rt: Runtime, request: FlowTokenRequest) -> HttpOutcome:
    conn = tx.conn
    ui_id = conn.execute(
        select(UiDefinition.id)
        .where(
            UiDefinition.project_id == rt.project_id,
            or_(UiDefinition.id == request.ui_definition, UiDefinition.name == request.ui_definition),
        )
        .order_by((UiDefinition.id == request.ui_definition).desc(), UiDefinition.created_at.desc())
        .limit(1)
    ).scalar()
    if ui_id is None:
        return HttpOutcome(request.id, error=f"No UI definition with id or name [{request.ui_definition}]")
    end_user = rt.end_user_id
    if end_user is None and rt.business_id is not None:
        end_user = conn.execute(
            select(EndUserBusiness.end_user_id)
            .where(EndUserBusiness.business_id == rt.business_id, EndUserBusiness.project_id == rt.project_id)
            .order_by(EndUserBusiness.created_at)
            .limit(1)
        ).scalar()
    if end_user is None:
        return HttpOutcome(request.id, error=f"Couldn't find main representative for business {rt.business_id}")
    tx.flush()  # the runtime row first: the token refers to it
    issue_token(conn, project_id=rt.project_id, runtime_id=rt.id, end_user_id=end_user, ui_definition_id=ui_id)
    customer = conn.execute(
        select(Customer.display_name, Customer.name)
        .join(Project, Project.customer_id == Customer.id)
        .where(Project.id == rt.project_id)
    ).first()
    body = {"collectionFlowUrl": collection_flow_url()}
    if customer is not None:
        body.update(customerName=customer[0], customerNormalizedName=customer[1])
    return HttpOutcome(request.id, status=200, body=body, body_is_json=True)
