"""The local AWS emulator (moto) with one change: requests are handled one at a time.

moto's own server handles requests on threads without locking its in-memory backends, so two
concurrent conditional writes or transactions can both pass their conditions. DynamoDB never
allows that, and Closeloop's exactly-once guarantees rest on it. Connections stay concurrent;
only the handling of each request is serialised.

It also answers `GET /_outbox?to=<phone, email or topic ARN>`: what was sent to that one
recipient (SMS, email, topic notifications), so tests read their own messages instead of
downloading everything ever sent through `/moto-api/data.json`."""
import argparse
import os
import signal
import sys
import json
import threading
from urllib.parse import parse_qs

# moto parses an update expression into a tree as deep as its clauses are many, and copies it
# recursively: a running-totals update (a hundred or more `ADD` clauses, which DynamoDB takes
# up to its 4 KB expression limit) goes deeper than Python's default limit of 1,000 frames.
# Request threads get a stack large enough for the raised limit.
sys.setrecursionlimit(200_000)
threading.stack_size(512 * 1024 * 1024)

from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)


def outbox_for(to: str) -> dict:
    """Messages sent to one recipient, oldest first, across accounts and regions."""
    from moto.sns.models import sns_backends
    from moto.ses.models import ses_backends

    sms, email, topic = [], [], []
    for _account, _region, sns in sns_backends.iter_backends():
        sms += [{"phone_number": phone, "message": message}
                for phone, message in sns.sms_messages.values() if phone == to]
        if to in sns.topics:
            for message_id, message, subject, attributes, _group in sns.topics[to].sent_notifications:
                topic.append({"message_id": message_id, "message": message,
                              "subject": subject, "message_attributes": attributes or {}})
    lowered = to.lower()
    for _account, _region, ses in ses_backends.iter_backends():
        for message in ses.sent_messages:
            destinations = message.destinations
            if isinstance(destinations, dict):
                destinations = [a for addresses in destinations.values() for a in addresses]
            if lowered not in (a.lower() for a in destinations):
                continue
            raw = getattr(message, "raw_data", None)
            email.append({"source": message.source, "raw_data": raw,
                          "subject": getattr(message, "subject", None),
                          "body": getattr(message, "body", None)})
    return {"sms": sms, "email": email, "topic": topic}


def main() -> None:
    # Transactions in O(items touched), expressions parsed once: see moto_fast_paths.py.
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import moto_fast_paths

    moto_fast_paths.install()

    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args()
    os.environ.setdefault("MOTO_PORT", str(args.port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))

    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def serialised(environ, start_response):
        if environ.get("PATH_INFO") == "/_outbox":
            to = parse_qs(environ.get("QUERY_STRING", "")).get("to", [""])[0]
            with lock:
                body = json.dumps(outbox_for(to)).encode()
            start_response("200 OK", [("Content-Type", "application/json"),
                                      ("Content-Length", str(len(body)))])
            return [body]
        with lock:
            # Materialise the body inside the lock: the work happens while iterating.
            return list(app(environ, start_response))

    run_simple(args.host, args.port, serialised, threaded=True,
               request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
