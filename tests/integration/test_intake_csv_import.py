"""The operator's CSV import against the real store: whole rows or nothing, errors by line, idempotent."""
import csv
import io

from contract.config import load_config
from intake import cli
from tests.conftest import ROOT
from tests.factories import make_report

HEADER = ["title", "description", "classification", "category_code", "region_code", "location_text",
          "incident_date", "original_channel", "received_on", "reporter_name", "is_anonymous", "gesi",
          "resolution", "resolved_at"]


def cli_config(service_config):
    """The service's config.yml as the CLI reads it, pointed at this test's store and database."""
    config = {**load_config(str(ROOT / "services" / "intake" / "config.yml")), **service_config}
    config.pop("MONGODB_DATABASE")
    return config


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(rows)


def row(**overrides):
    report = make_report()
    base = {k: report.get(k, "") for k in HEADER if k in report}
    base.update(original_channel="letter", received_on=report["incident_date"], reporter_name="Nyoman",
                is_anonymous="true", gesi="women;children")
    base.update(overrides)
    return base


def test_csv_import_rows_errors_and_rerun(tmp_path, service_config, mongo_client):
    config = cli_config(service_config)
    path = tmp_path / "offline.csv"
    write_csv(path, [row(), row(title="Surat pengaduan kedua", description="Drainase tersumbat di Jl. Ahmad Yani "
                                                                            "menyebabkan banjir setiap hujan"),
                     row(classification="rant"), row(incident_date=""),
                     row(title="Sudah selesai", resolution="Sudah diperbaiki oleh UPTD.",
                         resolved_at="2026-11-20T03:00:00+00:00")])
    stream, reported = io.StringIO(), []
    counts = cli.import_csv(str(path), config, "ID", lambda line, problems: reported.append((line, problems)), stream)
    assert counts == {"rows": 5, "stored": 3, "already_imported": 0, "errors": 2}
    assert [(line, [p["field"] for p in problems]) for line, problems in reported] == [
        (4, ["classification"]), (5, ["incident_date"])]
    assert "5/5 stored=3 errors=2" in stream.getvalue()
    db = mongo_client[f"{service_config['MONGODB_DATABASE_PREFIX']}intake"]
    stored = list(db.reports.find())
    assert len(stored) == 3 and {r["channel"] for r in stored} == {"import"}
    assert all(r["source"]["original_channel"] == "letter" and r["is_anonymous"] for r in stored)
    assert sorted(r["status"] for r in stored) == ["answered", "received", "received"]
    assert db.outbox.count_documents({"event_type": "report_received"}) == 3

    again = cli.import_csv(str(path), config, "ID", None, io.StringIO())
    assert again == {"rows": 5, "stored": 0, "already_imported": 3, "errors": 2}
    assert db.reports.count_documents({}) == 3


def test_csv_with_a_bad_header_imports_nothing(tmp_path, service_config, mongo_client):
    config = cli_config(service_config)
    path = tmp_path / "bad.csv"
    path.write_text("judul,isi\nx,y\n", encoding="utf-8")
    reported = []
    counts = cli.import_csv(str(path), config, "ID", lambda line, problems: reported.append((line, problems)),
                            io.StringIO())
    assert counts["stored"] == 0 and reported[0][0] == 1
    assert {p["field"] for p in reported[0][1]} >= {"judul", "title", "description"}
    assert mongo_client[f"{service_config['MONGODB_DATABASE_PREFIX']}intake"].reports.count_documents({}) == 0
