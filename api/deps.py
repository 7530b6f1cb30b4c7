"""The request context: the one way a route reaches the node and learns who is calling.

Routes declare what they need as typed parameters::

    def route(ctx: ContextDep, steward: StewardDep) -> Response: ...

``ContextDep`` is the node's ``ServiceContext`` (store, settings, id scheme), made once by
``kg.node.open_node``; ``PrincipalDep`` is the caller (None without a valid token);
``StewardDep`` and ``AdminDep`` answer 401/403 before the route runs (and before its body is
read). ``context_of`` is the same context for code that has the request but is not a route.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from kg.auth import Principal, principal_for, require
from kg.services import ServiceContext


def context_of(request: Request) -> ServiceContext:
    return request.app.state.context


async def _context(request: Request) -> ServiceContext:
    # async: no hand-over to the thread pool for a look-up (the SPARQL hot path takes it).
    return request.app.state.context


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def get_principal(request: Request) -> Principal | None:
    return principal_for(bearer_token(request), request.app.state.settings)


def require_admin(request: Request) -> Principal:
    return require(get_principal(request), "admin")


def require_steward(request: Request) -> Principal:
    return require(get_principal(request), "steward")


async def _principal(request: Request) -> Principal | None:
    token = bearer_token(request)
    if token is None:  # anonymous reads: no hand-over to the thread pool
        return None
    # the token file is read from disk: not on the event loop
    return await run_in_threadpool(principal_for, token, request.app.state.settings)


async def _steward(request: Request) -> Principal:
    return require(await _principal(request), "steward")


async def _admin(request: Request) -> Principal:
    return require(await _principal(request), "admin")


ContextDep = Annotated[ServiceContext, Depends(_context)]
PrincipalDep = Annotated[Principal | None, Depends(_principal)]
StewardDep = Annotated[Principal, Depends(_steward)]
AdminDep = Annotated[Principal, Depends(_admin)]

__all__ = ["AdminDep", "ContextDep", "PrincipalDep", "StewardDep", "bearer_token",
           "context_of", "get_principal", "require_admin", "require_steward"]
