"""One translation mechanism (issue 24): every key the code and the templates use exists in a
catalogue with both languages and the same placeholders, and no second mechanism comes back."""
import ast
import re
from pathlib import Path

import jinja2.meta
import pytest

from contract import i18n

SERVICES = Path(__file__).resolve().parents[3] / "services"
PACKAGES = ("intake", "routing", "followup", "notification", "assessment")
CONTRACT = SERVICES / "contract" / "contract"
KEY_CALL = re.compile(r"""(?:\b_|\.text|\btext|\.both|\blabels)\(\s*["']([A-Za-z0-9_]+\.[A-Za-z0-9_.]+)["']\s*[,)]""")
KEY_FAMILY = re.compile(r"""(?:\b_|\.text|\btext|\.both|\blabels)\(\s*f["']([A-Za-z0-9_.]+)\{""")
CHOSEN_KEY = re.compile(r"""(?:\b_|\.text|\btext|\.both)\(\s*["']([\w.]+)["']\s+if\b[^()]*?\belse\s+["']([\w.]+)["']""")
# errors.translated(field, "code", CATALOGUE or i18n.common(), "key" or f"key.{...}", ...)
TRANSLATED = re.compile(r"""\btranslated\(\s*[^,]+?,\s*["']\w+["'],\s*[\w.]+(?:\(\))?,\s*(f?)["']([\w.]+?)(?:\{|["'])""")
DOCSTRING = re.compile(r'""".*?"""', re.DOTALL)
BUILT_FAMILY = re.compile(r"""\b_\(\s*["']([A-Za-z0-9_.]+)["']\s*[~+]""")  # _("a." ~ x), _("a." + x)


def catalogue_files(folder: Path) -> list[Path]:
    return [folder / name for name in ("messages.yml", "officials.yml") if (folder / name).exists()]


def keys_of(package: str) -> set[str]:
    """Every key a service's code may read: the contract's catalogues and the service's own."""
    folder = SERVICES / package / package if package != "contract" else CONTRACT
    files = catalogue_files(CONTRACT) + (catalogue_files(folder) if package != "contract" else [])
    return set(i18n.Catalogue(*files).messages)


def sources(package: str, suffix: str):
    folder = SERVICES / package / package if package != "contract" else CONTRACT
    return sorted(folder.rglob(f"*{suffix}"))


@pytest.mark.parametrize("package", PACKAGES + ("contract",))
def test_every_key_the_code_and_the_templates_use_exists(package):
    known = keys_of(package)
    missing, families = [], []
    for path in sources(package, ".py") + sources(package, ".html"):
        text = DOCSTRING.sub("", path.read_text(encoding="utf-8"))  # examples in docstrings are not uses
        used = KEY_CALL.findall(text) + [key for pair in CHOSEN_KEY.findall(text) for key in pair]
        used += [key for built, key in TRANSLATED.findall(text) if not built]
        families += [(path.name, key) for built, key in TRANSLATED.findall(text)
                     if built and not any(k.startswith(key) for k in known)]
        missing += [(path.name, key) for key in used if key not in known]
        for prefix in KEY_FAMILY.findall(text) + BUILT_FAMILY.findall(text):
            if not any(k.startswith(prefix) for k in known):
                families.append((path.name, prefix))
    assert missing == [] and families == []


def test_every_catalogue_has_both_languages_with_the_same_placeholders():
    files = [p for p in SERVICES.rglob("*.yml") if p.name in ("messages.yml", "officials.yml")]
    assert len(files) >= 10
    for path in files:
        catalogue = i18n.Catalogue(path)  # refuses a key without both texts or with different placeholders
        assert catalogue.messages, path


def test_a_catalogue_refuses_different_placeholders_in_the_two_languages(tmp_path):
    bad = tmp_path / "m.yml"
    bad.write_text('sms.received: {id: "Laporan {tracking_id} diterima.", en: "Report {tracking} received."}\n')
    with pytest.raises(ValueError, match="sms.received"):
        i18n.Catalogue(bad)
    good = tmp_path / "g.yml"
    good.write_text('x: {id: "{{ jinja }} {n} hari", en: "{{ jinja }} {n} days"}\n')
    assert i18n.Catalogue(good).text("x", "en", n=3) == "{ jinja } 3 days"


def test_the_key_families_the_code_builds_are_complete():
    from assessment import survey
    from followup import indicator
    from routing.domain import signin

    for lowest, grade in survey.GRADES:
        labels = survey.grade_for(lowest)
        assert labels["grade"] == grade and labels["grade_label_id"] and labels["grade_label_en"]
    for field in survey.PROFILE_FIELDS:
        assert all(label for _, *labels in survey.profile_choices(field) for label in labels)
    for status in ("received", "dispositioned", "in_follow_up", "answered", "closed", "archived", "forwarded"):
        assert f"survey.status.{status}" in survey.TEXTS
    assert all(indicator.label(colour, lang) for colour in indicator.COLOURS for lang in i18n.LANGS)
    refusals = set(re.findall(r'Refused\(\d+, [^,()]+(?:\([^)]*\))?, "(\w+)"\)',
                              "".join(p.read_text() for p in (SERVICES / "routing").rglob("*.py"))))
    assert refusals and {f"admin.refusal.{r}" for r in refusals} <= keys_of("routing")
    assert "10" in signin.password_text("length", "en") and signin.password_text("mismatch", "id")
    for who in ("sender", "gateway", "channel"):
        assert f"rate_limited.{who}" in keys_of("intake")
    assert all(f"api.error.{code}" in i18n.common() for code in ("required", "invalid", "not_found", "internal"))
    for kind in ("month", "quarter", "year"):
        assert f"report.title.{kind}" in keys_of("assessment")


def test_every_notification_message_has_both_languages_with_the_same_variables():
    from notification import templates

    catalogue = i18n.catalogue(templates.MESSAGES)
    env = templates.Renderer("https://lapor.example/lacak/").text_env  # with the messages' filters
    for key in catalogue.keys():
        variables = {lang: jinja2.meta.find_undeclared_variables(env.parse(catalogue.text(key, lang)))
                     for lang in i18n.LANGS}
        assert variables["id"] == variables["en"], key
    loaded = templates.load_catalogue()
    assert loaded["id"]["templates"].keys() == loaded["en"]["templates"].keys()
    assert {part for parts in loaded["id"]["templates"].values() for part in parts} == {"subject", "text", "sms"}


# -- no second mechanism ---------------------------------------------------------------------
# No allow-list: even the mechanism picks bilingual data by a table, not by comparing a language.
INDONESIAN = {"yang", "tidak", "dan", "ini", "wajib", "laporan", "anda", "dari", "untuk", "dengan", "belum", "sudah",
              "telah", "harus", "pilih", "atau", "kami", "akan", "sedang", "dapat", "tanggal", "diterima", "ditolak",
              "selesai", "menunggu", "tindakan", "terlambat", "hijau", "kuning", "merah", "simpan", "kirim", "batal", "tahun",
              "simpul", "berada", "diperlukan", "formulir", "isi", "berupa", "dokumen", "teks", "bukan", "berkas",
              "unggahan", "terima", "kasih", "notifikasi", "referensi", "penerima", "langganan", "lainnya", "instansi",
              "dikenal", "ditemukan", "jalur", "dikirim", "ditangani", "diteruskan", "lengkap", "jawaban"}
ENGLISH = {"the", "is", "not", "of", "to", "and", "this", "your", "must", "be", "has", "was", "for", "with",
           "choose", "report", "action", "received", "closed", "done", "waiting", "overdue", "green", "yellow", "red", "save",
           "send", "cancel", "year", "given", "hub", "required", "form", "request", "document", "text", "accepted",
           "thank", "notification", "recipient", "subscription", "other", "agency", "unknown", "found",
           "route", "key", "sent", "handled", "incomplete", "answers"}


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def _text_of(node) -> str | None:
    """A string literal's text; an f-string's literal parts."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return " ".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    return None


def _is_pair(texts: list[str]) -> bool:
    indonesian = [t for t in texts if _words(t) & INDONESIAN and not _words(t) & ENGLISH]
    english = [t for t in texts if _words(t) & ENGLISH and not _words(t) & INDONESIAN]
    return bool(indonesian and english)


def second_mechanisms(source: str) -> list[tuple[int, str]]:
    """Language branches (``lang == "en"``), {"id": ..., "en": ...} literals and tuples of an
    Indonesian and an English text, with their line numbers."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare) and any(isinstance(op, (ast.Eq, ast.NotEq)) for op in node.ops):
            operands = [node.left, *node.comparators]
            constants = {o.value for o in operands if isinstance(o, ast.Constant)}
            # (the segment only when it decides: ast.get_source_segment splits the whole source)
            if "en" in constants or ("id" in constants and "lang" in ast.get_source_segment(source, node).lower()):
                found.append((node.lineno, "language branch"))
        elif isinstance(node, ast.Dict):
            texts = {k.value: v for k, v in zip(node.keys, node.values) if isinstance(k, ast.Constant)}
            if {"id", "en"} <= set(texts) and any(isinstance(texts[lang], (ast.Constant, ast.JoinedStr))
                                                  for lang in ("id", "en")):
                found.append((node.lineno, "id/en dict"))
            elif any(isinstance(v, ast.Constant) and isinstance(k, str) and isinstance(v.value, str)
                     and _is_pair([k, v.value]) for k, v in texts.items()):
                found.append((node.lineno, "English -> Indonesian dict"))
            elif _is_pair([text for text in map(_text_of, node.values) if text is not None]):
                found.append((node.lineno, "dict of an English and an Indonesian text"))
        elif isinstance(node, (ast.Tuple, ast.List, ast.Call)):
            elements = node.elts if not isinstance(node, ast.Call) else [*node.args, *(k.value for k in node.keywords)]
            texts = [text for text in map(_text_of, elements) if text is not None]
            if len(texts) >= 2 and _is_pair(texts):
                found.append((node.lineno, f"pair {texts[:2]}"))
    return found


def test_the_detector_finds_each_kind_of_second_mechanism():
    assert second_mechanisms('x = "Report" if lang == "en" else "Laporan"')
    assert second_mechanisms('x = a if page.lang == "id" else b')
    assert second_mechanisms('HINT = {"id": "hh/bb/tttt", "en": "dd/mm/yyyy"}')
    assert second_mechanisms('L = {"red": ("Merah: melewati batas waktu", "Red: overdue")}')
    assert second_mechanisms('WHAT_ID = {"this action": "tindakan ini", "Report": "Laporan"}')
    assert not second_mechanisms('ok = {k: v for k, v in item.items() if k != "id"}')
    assert not second_mechanisms('names = {"code": c, "id": item["name_id"], "en": item.get("name_en")}')
    # an inline pair of error texts, as arguments or f-strings
    assert second_mechanisms('error("f", "invalid", "Not a valid hub.", "Simpul tidak valid.")')
    assert second_mechanisms('Refusal("x", f"Hub {t} is not in the directory.", f"Simpul {t} tidak ada di direktori.")')
    assert not second_mechanisms('translated("f", "invalid", TEXTS, "api.hub.invalid", hub=hub)')
    assert second_mechanisms('x = {"code": "c", "message": "The post is empty.", "message_id": "Unggahan kosong."}')


def test_no_second_translation_mechanism_in_the_services():
    found = []
    for path in sorted(SERVICES.rglob("*.py")):
        name = str(path.relative_to(SERVICES))
        found += [f"{name}:{line}: {what}" for line, what in second_mechanisms(path.read_text(encoding="utf-8"))]
    assert found == [], "use a catalogue key (contract.i18n) instead:\n" + "\n".join(found)


def test_one_way_to_make_an_error_item_from_a_catalogue():
    """``errors.translated(field, code, catalogue, key)``; no second helper (``Catalogue.en_id``
    once did the same for 37 call sites) and no hand-unpacked pair of texts."""
    assert not hasattr(i18n.Catalogue, "en_id")
    unpacked = re.compile(r"\*\s*[\w.]+\.(?:en_id|both)\(")
    assert [p.name for p in SERVICES.rglob("*.py") if unpacked.search(p.read_text(encoding="utf-8"))] == []
