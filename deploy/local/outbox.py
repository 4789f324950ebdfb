"""Print what notification sent on the local demo stack: the latest emails the mail catcher kept
and the SMS / social replies the recording gateway kept (deploy/local/sinks.sh).

    python deploy/local/outbox.py .run/local/sinks [--last 10]      (make outbox)
"""
from __future__ import annotations

import argparse
import json
from email import message_from_bytes, policy
from pathlib import Path


def lines(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def mail_text(path: Path, width: int = 300) -> str:
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    body = message.get_body(preferencelist=("plain", "html"))
    text = body.get_content() if body is not None else ""
    return " ".join(text.split())[:width]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sinks", type=Path)
    parser.add_argument("--last", type=int, default=10)
    args = parser.parse_args()
    mails = lines(args.sinks / "mail" / "index.jsonl")
    print(f"== email: {len(mails)} caught in {args.sinks / 'mail'} (latest {min(args.last, len(mails))})")
    for entry in mails[-args.last:]:
        print(f"[{entry['at'][:19]}] to {', '.join(entry['to'])}: {entry['subject']}")
        print(f"    {mail_text(args.sinks / 'mail' / entry['file'])}  ({entry['file']})")
    for kind, name in (("sms", "sms.jsonl"), ("social replies", "social.jsonl"), ("social direct messages", "social_dm.jsonl")):
        sent = lines(args.sinks / name)
        print(f"== {kind}: {len(sent)} recorded in {args.sinks / name} (latest {min(args.last, len(sent))})")
        for entry in sent[-args.last:]:
            body = entry["body"]
            print(f"[{entry['at'][:19]}] to {body.get('to') or body.get('handle') or body.get('reporter_ref')}: "
                  f"{body.get('text')}")


if __name__ == "__main__":
    main()
