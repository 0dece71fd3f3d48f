"""Serves app.py on a free loopback port and prints `listening on URL`."""

import socket
import sys

import uvicorn

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from app import app  # noqa: E402

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", 0))
# Listening before the line is printed: a client may connect at once.
sock.listen(128)
print(f"listening on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
