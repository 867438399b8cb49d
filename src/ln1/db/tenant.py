"""The one place tenant isolation is enforced.

A session that serves a request carries ``session.info["company_id"]``. Every ORM
SELECT, UPDATE and DELETE issued through it gets ``company_id = :company`` added for all
``TenantScoped`` tables (joins and relationship loads included), and a flush refuses to
write a tenant row of another company. Sessions without that key are *system* sessions
(authentication, CLI administration) and see everything; they are never handed to views.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, event
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from ln1.db.base import TenantScoped

COMPANY_KEY = "company_id"
COMPANY_PARAM = "ln1_tenant_company_id"


class TenantViolation(RuntimeError):
    """A write of another company's row through a scoped session: a bug, never user input."""


def scope_session(session: Session, company_id: str) -> None:
    """Bind a session to one company from now on."""
    session.info[COMPANY_KEY] = company_id


# One criteria object for every company: the company is a bound parameter filled in per
# statement, so the criteria close over nothing and SQLAlchemy caches them whole. (A lambda
# closing over the company id was re-analysed on every statement: a scoped primary-key
# SELECT cost 0.97 ms against 0.59 ms unscoped; now both ~0.62 ms.) The name is spelled
# out in the lambda: SQLAlchemy would track a global it reads as a variable.
_TENANT_CRITERIA = with_loader_criteria(
    TenantScoped,
    lambda cls: cls.company_id == bindparam("ln1_tenant_company_id"),
    include_aliases=True,
)


@event.listens_for(Session, "do_orm_execute")
def _add_tenant_criteria(state: ORMExecuteState) -> None:
    company_id = state.session.info.get(COMPANY_KEY)
    if company_id is None:
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load:
        return
    state.statement = state.statement.options(_TENANT_CRITERIA)
    # Merged into the statement's own parameters; each row's for an executemany.
    if state.is_executemany:
        state.parameters = [{**p, COMPANY_PARAM: company_id} for p in state.parameters]
    else:
        state.parameters = {**(state.parameters or {}), COMPANY_PARAM: company_id}


@event.listens_for(Session, "before_flush")
def _check_tenant_writes(session: Session, _ctx: Any, _instances: Any) -> None:
    company_id = session.info.get(COMPANY_KEY)
    if company_id is None:
        return
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, TenantScoped) and obj.company_id != company_id:
            raise TenantViolation(f"{type(obj).__name__} of another company in a scoped session")
