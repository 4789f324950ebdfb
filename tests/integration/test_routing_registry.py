"""Registry import/export through the operator CLI (YAML and CSV) on the real store."""
import textwrap

import pytest
import yaml

from routing import cli
from tests.integration.conftest import DEMO_REGISTRY
from tests.credentials import issue_token


@pytest.fixture
def config(service_config, tmp_path):
    cfg = {"MONGODB_URI": service_config["MONGODB_URI"],
           "MONGODB_DATABASE": service_config["MONGODB_DATABASE_PREFIX"] + "routing"}
    path = tmp_path / "config.yml"
    path.write_text(yaml.safe_dump(cfg))
    return {**cfg, "path": str(path)}


def test_yaml_import_is_idempotent_and_round_trips(config, tmp_path):
    first = cli.import_file(str(DEMO_REGISTRY), config)
    assert first["rules"] >= 20 and first["officials"] >= 20
    exported = cli.export(config, "yaml", None)
    assert cli.import_file(str(DEMO_REGISTRY), config) == first
    again = tmp_path / "exported.yml"
    again.write_text(exported)
    cli.import_file(str(again), config)  # an export is a valid import file
    assert cli.export(config, "yaml", None) == exported
    categories = yaml.safe_load(cli.export(config, "yaml", "categories"))["categories"]
    health = next(c for c in categories if c["code"] == "kesehatan")
    assert (health["name_id"], health["name_en"]) == ("Kesehatan", "Health")


def test_bad_row_is_reported_by_line_and_nothing_is_applied(config, tmp_path):
    cli.import_file(str(DEMO_REGISTRY), config)
    before = cli.export(config, "yaml", None)
    bad = tmp_path / "bad.yml"
    bad.write_text(textwrap.dedent("""\
        categories:
          - {code: pertanahan, name_id: Pertanahan, name_en: Land affairs}
        rules:
          - {id: bll-tanah, category_code: pertanahan, region_code: "5108", agency_code: PEMKAB-BULELENG}
          - {id: lwu-tanah, category_code: pertanahan, region_code: "7317", agency_code: PEMKAB-ENTAH}
          - {id: bll-tanah-2, category_code: pertanahan, region_code: "5108", agency_code: PEMKAB-BULELENG}
        """))
    with pytest.raises(cli.CliError) as failed:
        cli.import_file(str(bad), config)
    errors = yaml.safe_load(str(failed.value))["errors"]
    assert [(e["line"], e["field"], e["code"]) for e in errors] == [
        (5, "rules.1.agency_code", "not_found"), (6, "rules.2", "conflict")]
    assert cli.export(config, "yaml", None) == before  # the good category was not half-applied


def test_csv_rules_import_with_keywords_and_line_numbers(config, tmp_path):
    cli.import_file(str(DEMO_REGISTRY), config)
    good = tmp_path / "rules.csv"
    good.write_text("id,category_code,region_code,keywords,agency_code,unit_code,automatic,priority\n"
                    "lwu-banjir,bencana,7317,banjir|longsor,PEMKAB-LUWU,,false,0\n")
    assert cli.import_file(str(good), config)["rules"] == 1
    rules = yaml.safe_load(cli.export(config, "yaml", "rules"))["rules"]
    imported = next(r for r in rules if r["id"] == "lwu-banjir")
    assert imported["keywords"] == ["banjir", "longsor"] and imported["automatic"] is False
    bad = tmp_path / "more-rules.csv"
    bad.write_text("id,category_code,region_code,agency_code,automatic\n"
                   "ok-1,bencana,6202,PEMKAB-KOTIM,true\n"
                   "bad-1,bencana,62020,PEMKAB-KOTIM,maybe\n")
    with pytest.raises(cli.CliError) as failed:
        cli.import_file(str(bad), config)
    errors = yaml.safe_load(str(failed.value))["errors"]
    assert {(e["line"], e["field"]) for e in errors} == {(3, "rules.1.region_code"), (3, "rules.1.automatic")}
    assert "ok-1" not in cli.export(config, "yaml", "rules")


def test_csv_export_reimports_unchanged(config, tmp_path):
    cli.import_file(str(DEMO_REGISTRY), config)
    for kind in ("units", "rules", "officials"):
        text = cli.export(config, "csv", kind)
        path = tmp_path / f"{kind}.csv"
        path.write_text(text)
        before = cli.export(config, "yaml", kind)
        cli.import_file(str(path), config)
        assert cli.export(config, "yaml", kind) == before, kind


def test_cli_commands_and_exit_codes(config, tmp_path, capsys):
    assert cli.main(["--config", config["path"], "import", str(DEMO_REGISTRY)]) == 0
    assert "imported: hubs=" in capsys.readouterr().out
    assert cli.main(["token", "adm-luwu", "--days", "7", "--config", config["path"]]) == 0
    assert capsys.readouterr().out.startswith("lpr_")
    assert cli.main(["--config", config["path"], "token", "nobody"]) == 1
    assert "unknown official" in capsys.readouterr().err
    assert cli.main(["--config", config["path"], "revoke", "adm-luwu"]) == 0
    assert capsys.readouterr().out.strip() == "revoked: 1"
    out = tmp_path / "hubs.csv"
    assert cli.main(["--config", config["path"], "export", "--format", "csv", "--kind", "hubs",
                     "--output", str(out)]) == 0
    assert out.read_text().splitlines()[0].startswith("code,")
    unnamed = tmp_path / "registry.csv"
    unnamed.write_text("code\nX\n")
    assert cli.main(["--config", config["path"], "import", str(unnamed)]) == 1


def test_admin_registry_endpoints_import_and_export(service_config, start_services, rpc, demo_registry):
    import requests

    from routing.service import RoutingService
    urls = start_services(RoutingService)
    rpc.routing.import_registry(demo_registry)
    base = urls["routing"]
    admin = {"Authorization": f"Bearer {issue_token(service_config, 'nas-admin-1')}"}
    csv_body = ("id,category_code,region_code,agency_code,unit_code\n"
                "ktm-kesehatan,kesehatan,6202,PEMKAB-KOTIM,KTM-TIDAKADA\n")
    bad = requests.post(f"{base}/admin/registry", params={"kind": "rules"}, data=csv_body, timeout=5,
                        headers={**admin, "Content-Type": "text/csv"})
    assert bad.status_code == 400
    assert [(e["line"], e["field"]) for e in bad.json()["errors"]] == [(2, "rules.0.unit_code")]
    good = requests.post(f"{base}/admin/registry", params={"kind": "rules"}, timeout=5,
                         data=csv_body.replace("KTM-TIDAKADA", ""), headers={**admin, "Content-Type": "text/csv"})
    assert good.status_code == 200 and good.json()["imported"]["rules"] == 1
    broken = requests.post(f"{base}/admin/registry", data="rules: [unclosed", timeout=5,
                           headers={**admin, "Content-Type": "application/yaml"})
    assert broken.status_code == 400 and broken.json()["errors"][0]["line"] == 1
    exported = requests.get(f"{base}/admin/registry", params={"format": "csv", "kind": "rules"}, headers=admin,
                            timeout=5)
    assert exported.headers["Content-Type"].startswith("text/csv") and "ktm-kesehatan" in exported.text
    assert requests.get(f"{base}/admin/registry", params={"format": "csv"}, headers=admin,
                        timeout=5).json()["errors"][0]["field"] == "kind"
    categories = requests.get(f"{base}/registry/categories", headers={"Accept-Language": "en"}, timeout=5).json()
    assert {"code": "kesehatan", "name_id": "Kesehatan", "name_en": "Health", "name": "Health"} in categories["items"]
    units = requests.get(f"{base}/registry/units", timeout=5).json()["items"]
    assert all("liaison" not in u for u in units) and "@" not in str(units)  # no officials' contacts
