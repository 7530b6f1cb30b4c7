"""Gaia-X credentials: import and verify (JSON-LD or vc+jwt bodies), export as credentials."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.body import read_body
from api.deps import ContextDep, StewardDep
from kg.gaiax.document import read_submission
from kg.gaiax.export import Signer, export_dataset, export_organisation
from kg.gaiax.importer import import_document
from kg.gaiax.trust import TrustStore
from kg.gaiax.verify import verify_batch
from kg.services import ServiceContext
from kg.services.kinds import kind_named
from kg.write import Origin

router = APIRouter(tags=["Gaia-X"])

CREDENTIAL_TYPES = ("application/ld+json", "application/json", "application/vc+jwt",
                    "application/vp+jwt", "application/vc+ld+json", "text/plain")
_BODY_DOC: dict[str, Any] = {"requestBody": {"required": True, "content": {
    media: {"schema": {"type": "string" if "jwt" in media or media == "text/plain"
                       else "object"}} for media in CREDENTIAL_TYPES}}}
LD_JSON = "application/ld+json"


@router.post("/gaiax/credentials", status_code=201, openapi_extra=_BODY_DOC,
             summary="Import a Gaia-X credential or presentation",
             description="Verifies (parse, envelope, proof with the trusted keys of "
             "DSKG_GAIAX_TRUST_DIR, shapes), stores each credential as its own named graph and "
             "links it to the organisation (registration number) or dataset it describes. A "
             "presentation is imported whole or not at all: 422 with the failed checks.")
async def import_credentials(request: Request, ctx: ContextDep,
                             steward: StewardDep) -> JSONResponse:
    body = await read_body(request)

    def run() -> dict[str, Any]:
        result = import_document(ctx.store, body, TrustStore.from_env(),
                                 base_iri=ctx.base_iri,
                                 origin=Origin(agent=steward.agent,
                                               source="REST POST /gaiax/credentials"))
        return result.to_json()

    return JSONResponse(await run_in_threadpool(run), status_code=201)


@router.post("/gaiax/verify", openapi_extra=_BODY_DOC,
             summary="Verify a Gaia-X credential or presentation (nothing is stored)",
             description='Answers {"valid": bool, "checks": [{"step", "ok", "credential", '
             '"message"}]}, one check per step (parse, envelope, proof, shapes) and credential; '
             "references resolve against credentials already imported.")
async def verify_credentials(request: Request, ctx: ContextDep,
                             proof: bool = Query(True, description="false skips the proof "
                                                                   "step (unsigned drafts)")
                             ) -> JSONResponse:
    body = await read_body(request)

    def run() -> dict[str, Any]:
        verification = verify_batch([read_submission(body)], TrustStore.from_env(),
                                    check_proof=proof, store=ctx.store)[0]
        return verification.to_json()

    return JSONResponse(await run_in_threadpool(run))


def _export(kind: str, resource_id: str, ctx: ServiceContext) -> dict[str, Any]:
    node = ctx.ids.resolve(ctx.store, kind_named(kind), resource_id)
    build = export_organisation if kind == "organisations" else export_dataset
    return build(ctx.store, node, base_iri=ctx.base_iri, signer=Signer.from_env())


@router.get("/organisations/{resource_id}/gaiax",
            summary="The organisation as Gaia-X 22.10 participant credentials",
            description="A presentation of LegalParticipant, legalRegistrationNumber and "
            "GaiaXTermsAndConditions credentials built from the graph; signed with "
            "JsonWebSignature2020 when DSKG_GAIAX_KEY and DSKG_GAIAX_DID are set.")
async def organisation_credentials(resource_id: str, ctx: ContextDep) -> JSONResponse:
    body = await run_in_threadpool(_export, "organisations", resource_id, ctx)
    return JSONResponse(body, media_type=LD_JSON)


@router.get("/datasets/{resource_id}/gaiax",
            summary="The dataset as a Gaia-X 22.10 service offering",
            description="A presentation of the dataset's ServiceOffering credential with its "
            "publisher's participant credentials; its terms and conditions are its ODRL "
            "policy (IRI and SHA-256 of the policy's canonical N-Quads).")
async def dataset_credentials(resource_id: str, ctx: ContextDep) -> JSONResponse:
    body = await run_in_threadpool(_export, "datasets", resource_id, ctx)
    return JSONResponse(body, media_type=LD_JSON)
