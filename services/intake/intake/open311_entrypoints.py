"""Intake's Open311 GeoReport v2 channel (errors as the standard's list, in the path's format) and
the keys of its clients (the operator's API and the CLI's RPC): a group of ``IntakeService``'s
entrypoints, along the domain (its requests, schemas and answers are ``intake.open311``,
``intake.open311_schemas``; its use cases ``intake.handlers``). The service class declares the
dependencies they use (``store``, ``auth``)."""
from __future__ import annotations

from contract.http import endpoint, json_response, read_json
from contract.rpc import rpc
from contract.web import language_of
from intake import handlers, open311, open311_schemas
from intake.entrypoints import counted_open311, georeport, respond, submitted


class Open311Entrypoints:
    """Mixin of entrypoints for ``IntakeService``: Open311 discovery, services, requests and tokens;
    Open311 client keys."""

    @georeport("GET", "/open311/discovery.<any(json,xml):fmt>")
    def open311_discovery(self, request, fmt):
        base = request.url_root.rstrip("/")  # the front door's address, as the client reached it
        return respond("discovery", open311.discovery(base, self.store.settings.open311_contact), fmt)

    @georeport("GET", "/open311/v2/services.<any(json,xml):fmt>")
    def open311_services(self, request, fmt):
        return respond("services", self.store.read(handlers.open311_services, language_of(request),
                                                   request.args.get("jurisdiction_id")), fmt)

    @georeport("GET", "/open311/v2/services/<string:service_code>.<any(json,xml):fmt>")
    def open311_service_definition(self, request, service_code, fmt):
        return respond("definition", self.store.read(handlers.open311_service_definition, service_code), fmt)

    @georeport("POST", "/open311/v2/requests.<any(json,xml):fmt>")
    @counted_open311
    def open311_create(self, request, fmt):
        body = open311_schemas.form_body(request.form)
        self.store.read(handlers.check_api_key, body.get("api_key"))
        created = submitted(self.store, handlers.accept_open311, open311_schemas.Open311RequestIn().load(body))
        return respond("requests", created["answer"], fmt, 201 if created["created"] else 200)

    @georeport("GET", "/open311/v2/requests.<any(json,xml):fmt>")
    def open311_requests(self, request, fmt):
        query = open311_schemas.Open311QueryIn().load(request.args.to_dict())
        return respond("requests", self.store.read(handlers.open311_requests,
                                                   {**query, "language": language_of(request)}), fmt)

    @georeport("GET", "/open311/v2/requests/<string:request_id>.<any(json,xml):fmt>")
    def open311_request(self, request, request_id, fmt):
        found = self.store.read(handlers.open311_request, {"request_id": request_id, "language": language_of(request)})
        return respond("requests", found, fmt)

    @georeport("GET", "/open311/v2/tokens/<string:token>.<any(json,xml):fmt>")
    def open311_token(self, request, token, fmt):
        return respond("tokens", self.store.read(handlers.open311_token, token), fmt)

    @rpc
    def issue_open311_key(self, client):
        """A new api_key for an Open311 client (shown once; only its hash is stored)."""
        return self.store.run(handlers.issue_key, open311_schemas.ApiKeyIn().load({"client": client})["client"])

    @rpc
    def revoke_open311_keys(self, client):
        return {"revoked": self.store.run(handlers.revoke_keys, client)}

    # the operator's API for Open311 keys (national admins; the CLI does the same)
    @endpoint("GET", "/channels/open311/keys")
    def list_open311_keys(self, request):
        self.auth.principal(request, roles=("national_admin",))
        return json_response(200, {"keys": open311_schemas.ApiKeyOut(many=True).dump(
            self.store.read(handlers.list_keys))})

    @endpoint("POST", "/channels/open311/keys")
    def create_open311_key(self, request):
        self.auth.principal(request, roles=("national_admin",))
        client = open311_schemas.ApiKeyIn().load(read_json(request))["client"]
        return json_response(201, self.store.run(handlers.issue_key, client))

    @endpoint("DELETE", "/channels/open311/keys/<string:client>")
    def delete_open311_keys(self, request, client):
        self.auth.principal(request, roles=("national_admin",))
        loaded = open311_schemas.ApiKeyIn().load({"client": client})["client"]
        revoked = self.store.run(handlers.revoke_keys_of_known_client, loaded)
        return json_response(200, {"client": client, "revoked": revoked})
