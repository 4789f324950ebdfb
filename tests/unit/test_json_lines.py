"""tests.waiting.json_lines: a JSON-lines log read while another process appends to it."""
from tests.waiting import json_lines


def test_a_line_being_written_is_left_for_the_next_read(tmp_path):
    log = tmp_path / "index.jsonl"
    assert json_lines(log) == []
    log.write_text('{"subject": "a"}\n{"subject": "Laporan dit')  # the second line half written
    assert json_lines(log) == [{"subject": "a"}]
    with open(log, "a") as handle:
        handle.write('erima"}\n')
    assert json_lines(log) == [{"subject": "a"}, {"subject": "Laporan diterima"}]
