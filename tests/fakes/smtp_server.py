"""A real SMTP server (aiosmtpd) for tests and benchmarks, run as its own process.

    python -m tests.fakes.smtp_server PORT OUTFILE [--reject ADDRESS ...] [--delay SECONDS]

Every accepted message is appended to OUTFILE as one JSON line {mail_from, rcpt_tos, data};
recipients given with --reject are refused with 550 (a permanent failure).  ``--delay`` makes a slow
relay: it waits that long after the message's data, then records it and answers 250 (a message in
the file was accepted, or was about to be when its client went away).
"""
import argparse
import asyncio
import json

from aiosmtpd.controller import Controller


class Recorder:
    def __init__(self, path: str, rejected: set[str], delay: float = 0.0):
        self.path = path
        self.rejected = {r.lower() for r in rejected}
        self.delay = delay

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.rejected:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        line = json.dumps({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                           "data": envelope.content.decode("utf-8", errors="replace")})
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
        return "250 Message accepted for delivery"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("outfile")
    parser.add_argument("--reject", nargs="*", default=[])
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    controller = Controller(Recorder(args.outfile, set(args.reject), args.delay), hostname="127.0.0.1", port=args.port)
    controller.start()
    print("ready", flush=True)
    try:
        asyncio.run(asyncio.Event().wait())
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
