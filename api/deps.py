"""FastAPI dependencies: the store, the settings, the services and the caller's identity."""

from __future__ import annotations

from fastapi import Request

from kg.auth import Principal, principal_for, require
from kg.settings import Settings
from kg.sparql import QueryService
from kg.store import Store


def get_store(request: Request) -> Store:
    return request.app.state.store


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_query_service(request: Request) -> QueryService:
    return QueryService(request.app.state.store, request.app.state.settings)


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
