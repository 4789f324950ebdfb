"""Every queue and status an official can filter the inbox by has its name in both languages."""
from pathlib import Path

import yaml

from routing import schemas

MESSAGES = yaml.safe_load((Path(schemas.__file__).parent / "messages.yml").read_text())


def test_every_queue_and_status_has_a_bilingual_name():
    keys = [f"routing.queue.{q}" for q in schemas.QUEUES] + [f"routing.status.{s}" for s in schemas.STATUSES]
    missing = [k for k in keys if set((MESSAGES.get(k) or {})) != {"id", "en"}]
    assert missing == []
