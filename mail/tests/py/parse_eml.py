"""Parse one .eml file with Python's standard `email` package and print it as JSON:
headers (RFC 2047 decoded), defects found by the parser, and every part with its Content-ID and
its decoded text (text parts and .ics files) or, for anything else (images), its decoded bytes
in base64. Used by balie-mail's tests as a parser independent of the Rust code that wrote the
message."""
import base64
import email
import json
import sys
from email import policy


def main(path):
    with open(path, "rb") as f:
        msg = email.message_from_binary_file(f, policy=policy.default)
    out = {
        "headers": {k: str(v) for k, v in msg.items()},
        "content_type": msg.get_content_type(),
        "defects": [],
        "parts": [],
    }
    for part in msg.walk():
        out["defects"] += [f"{part.get_content_type()}: {d!r}" for d in part.defects]
        info = {
            "content_type": part.get_content_type(),
            "params": {k.lower(): v for k, v in part.get_params()[1:]} if part.get_params() else {},
            "disposition": part.get_content_disposition(),
            "filename": part.get_filename(),
            "content_id": str(part["Content-ID"]) if part["Content-ID"] else None,
        }
        if not part.is_multipart():
            payload = part.get_payload(decode=True)
            if part.get_content_maintype() == "text" or part.get_content_type() == "application/ics":
                info["text"] = payload.decode(part.get_content_charset() or "utf-8")
            else:
                info["data_base64"] = base64.b64encode(payload).decode("ascii")
        out["parts"].append(info)
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
