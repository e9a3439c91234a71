"""A real SMTP server for balie-mail's tests (aiosmtpd: Debian python3-aiosmtpd, PyPI aiosmtpd).

Usage: smtp_sink.py OUTDIR
Listens on 127.0.0.1 on a free port and prints "PORT <n>" once ready. Each accepted message is
written to OUTDIR/<n>.eml (raw bytes as received) beside OUTDIR/<n>.json (the envelope); the
.eml appears last and atomically, so a reader that sees it sees both. Recipients whose local part
starts with "reject" are refused with 550, with "tempfail" with 451. Exits when stdin closes."""
import asyncio
import json
import os
import sys

from aiosmtpd.smtp import SMTP


class Handler:
    def __init__(self, outdir):
        self.outdir = outdir
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("reject"):
            return "550 5.1.1 <%s>: recipient address rejected: no such user" % address
        if local.startswith("tempfail"):
            return "451 4.3.0 <%s>: temporary failure, try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.outdir, "%04d" % self.count)
        with open(base + ".json", "w") as f:
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                       "helo": session.host_name}, f)
        data = envelope.original_content or envelope.content
        with open(base + ".eml.tmp", "wb") as f:
            f.write(data)
        os.replace(base + ".eml.tmp", base + ".eml")
        return "250 2.0.0 Message accepted"


async def main(outdir):
    loop = asyncio.get_running_loop()
    handler = Handler(outdir)
    server = await loop.create_server(lambda: SMTP(handler, hostname="balie-test-sink"), "127.0.0.1", 0)
    print("PORT %d" % server.sockets[0].getsockname()[1], flush=True)
    # Blocks in a thread until the test closes our stdin (or dies).
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
