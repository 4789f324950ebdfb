import re

import pytest

from contract.ids import check_symbol, hub_of, new_tracking_id, parse_tracking_id


def test_tracking_id_carries_hub_and_is_short():
    tid = new_tracking_id("5108")
    assert re.fullmatch(r"5108-[0-9A-Z]{5}-[0-9A-Z]{5}", tid)
    assert hub_of(tid) == "5108"
    assert len(tid) <= 16  # fits an SMS reply comfortably and reads out over the phone


def test_tracking_ids_do_not_repeat():
    ids = {new_tracking_id("ID") for _ in range(20000)}
    assert len(ids) == 20000


@pytest.mark.parametrize("typed", ["{t}", "{t_lower}", "#{t}", " {t_spaces} "])
def test_typed_forms_parse_to_canonical(typed):
    tid = new_tracking_id("ID")
    text = typed.format(t=tid, t_lower=tid.lower(), t_spaces=tid.replace("-", " "))
    assert parse_tracking_id(text) == tid


def test_crockford_lookalikes_are_accepted():
    tid = "ID-0K3T1-D2E5" + check_symbol("0K3T1D2E5")
    assert parse_tracking_id(tid.replace("0", "O").replace("1", "l")) == tid


def test_every_single_symbol_typo_is_rejected():
    tid = new_tracking_id("ID")
    body = tid.replace("-", "")[2:]
    for pos in range(len(body)):
        for ch in "0123456789ABCDEFGHJKMNPQRSTVWXYZ":
            if ch == body[pos]:
                continue
            typo = body[:pos] + ch + body[pos + 1:]
            candidate = f"ID-{typo[:5]}-{typo[5:]}"
            assert parse_tracking_id(candidate) is None, candidate


@pytest.mark.parametrize("bad", ["", "ID", "ID-12345", "5108-ABCDE-FGHI", "x" * 40, None, 12])
def test_garbage_is_not_a_tracking_id(bad):
    assert parse_tracking_id(bad) is None


def test_invalid_hub_code_is_refused():
    with pytest.raises(ValueError):
        new_tracking_id("bad hub")
