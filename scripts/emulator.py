"""The local AWS emulator (moto) with one change: requests are handled one at a time.

moto's own server handles requests on threads without locking its in-memory backends, so two
concurrent conditional writes or transactions can both pass their conditions. DynamoDB never
allows that, and Closeloop's exactly-once guarantees rest on it. Connections stay concurrent;
only the handling of each request is serialised."""
import argparse
import os
import signal
import sys
import threading

from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)


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
        with lock:
            # Materialise the body inside the lock: the work happens while iterating.
            return list(app(environ, start_response))

    run_simple(args.host, args.port, serialised, threaded=True,
               request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
