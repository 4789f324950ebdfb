"""Rendering intake's citizen pages (docs/web.md) from what the handlers read, and reading what a
page's form uploads. No store here: the entrypoints call the handlers, these draw the result."""
from __future__ import annotations

from contract import errors, i18n, web as weblayer
from intake import domain, evidence, web_forms

TEXTS = i18n.of_service("intake")  # error texts: ``api.*`` (contract.i18n)


def options(page, registry: dict, max_files: int) -> dict:
    return {"categories": web_forms.category_options(registry["category_docs"], page.lang),
            "regions": web_forms.region_options(registry["region_docs"]),
            "classifications": web_forms.classifications(), "gesi_markers": web_forms.gesi_markers(),
            "max_files": max_files, "max_bytes": evidence.MAX_BYTES}


def report_form(page, registry: dict, max_files: int, values, field_errors: dict, status: int = 200):
    return page.render("report_form.html", status=status, values=values, errors=field_errors,
                       form_id=weblayer.new_form_id(), **options(page, registry, max_files))


def receipt(page, shown: dict, max_files: int, field_errors: dict, values=None, status: int = 200):
    """The receipt page of ``shown`` (``handlers.receipt``: the report, what it misses, the registry)."""
    report = shown["report"]
    secret = page.reporter_key(report["_id"])
    verified = domain.secret_matches(report.get("secret_hash"), secret)
    values = values if values is not None else (report if verified else {})
    return page.render("receipt.html", status=status, report=report, secret=secret if verified else None,
                       missing=shown["missing"], errors=field_errors, values=values,
                       **options(page, shown["registry"], max_files))


def public_list(page, listing: dict, filters: dict, number: int):
    size = web_forms.PUBLIC_PAGE_SIZE
    found, registry = listing["found"], listing["registry"]
    categories = web_forms.category_options(registry["category_docs"], page.lang)
    regions = web_forms.region_options(registry["region_docs"])
    return page.render("public_list.html", reports=[web_forms.public_item(r) for r in found[:size]],
                       filters=filters, number=number, has_next=len(found) > size, categories=categories,
                       regions=regions, category_names=web_forms.names(categories),
                       region_names=web_forms.names(regions),
                       classification_options=[(k, page._("classification." + k)) for k in web_forms.classifications()],
                       status_options=[(s, page._("status." + s)) for s in web_forms.PUBLIC_STATUSES])


def uploads(request, anonymous: bool, limit: int, required: bool = False) -> list[bytes]:
    """The chosen evidence files, each checked before anything is stored."""
    chosen = [f for f in request.files.getlist("evidence") if f and f.filename]
    if required and not chosen:
        raise errors.ApiError([errors.error("evidence", "required")])
    if len(chosen) > limit:
        raise errors.ApiError([errors.translated("evidence", "too_many", TEXTS, "api.too_many_files", limit=limit)])
    files = []
    for upload in chosen:
        data = upload.stream.read(evidence.MAX_BYTES + 1)
        try:
            evidence.prepare(data, anonymous=anonymous)
        except evidence.BadEvidence:
            raise errors.ApiError([errors.translated(
                "evidence", "invalid", TEXTS, "api.file_not_accepted", name=upload.filename)])
        files.append(data)
    return files


def erasure(page, report: dict, field_errors: dict, status: int = 200):
    """The confirmation step of a reporter's erasure request (the secret asked unless this device keeps it)."""
    remembered = domain.secret_matches(report.get("secret_hash"), page.reporter_key(report["_id"]))
    return page.render("erase.html", status=status, tracking_id=report["_id"], remembered=remembered,
                       errors=field_errors)
