"""A local stand-in for Slack's Socket Mode server: a plain `ws://` websocket on
127.0.0.1 (slack_sdk's built-in client speaks unencrypted websocket to any port
but 443), enough of RFC 6455 for Slack's envelopes.

    with FakeSlack() as fake, FakeSocketMode(fake) as socket_mode:
        # the app calls apps.connections.open on the fake Web API and gets this server's URL
        socket_mode.wait_connected()
        ack = socket_mode.request("slash_commands", {"command": "/project", "text": "status"})

It sends `hello` on connect, answers pings, and records every envelope the
app acknowledges (`{"envelope_id": ..., "payload": ...}`).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import socket
import struct
import threading
from typing import Any

from tests.support.fakeslack import FakeSlack

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


class FakeSocketMode:
    def __init__(self, fake: FakeSlack):
        self.fake = fake
        self._server = socket.create_server(("127.0.0.1", 0))
        self._lock = threading.Condition()
        self._conn: socket.socket | None = None
        self._send_lock = threading.Lock()
        self.acks: dict[str, Any] = {}
        self._ids = itertools.count(1)
        self._closed = False

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._server.getsockname()[1]}/link/?ticket=fake"

    def __enter__(self) -> FakeSocketMode:
        self.fake.on("apps.connections.open", lambda _params: {"url": self.url})
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closed = True
        self._server.close()
        with self._lock:
            if self._conn is not None:
                self._conn.close()

    def wait_connected(self, timeout: float = 30.0) -> None:
        with self._lock:
            assert self._lock.wait_for(lambda: self._conn is not None, timeout), "the app never connected"

    def request(self, kind: str, payload: dict, timeout: float = 15.0) -> Any:
        """Send an envelope of `kind` and return the payload of the app's acknowledgement."""
        envelope_id = f"env-{next(self._ids)}"
        self._send(TEXT, json.dumps({"envelope_id": envelope_id, "type": kind, "payload": payload,
                                     "accepts_response_payload": True, "retry_attempt": 0,
                                     "retry_reason": ""}).encode())
        with self._lock:
            assert self._lock.wait_for(lambda: envelope_id in self.acks, timeout), f"no ack for {kind}"
            return self.acks[envelope_id]

    # --- the websocket -------------------------------------------------------------

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        request = b""
        while b"\r\n\r\n" not in request:
            request += conn.recv(1024)
        key = next(line.split(":", 1)[1].strip() for line in request.decode().split("\r\n")
                   if line.lower().startswith("sec-websocket-key:"))
        accept = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()
        conn.sendall(f"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     f"Sec-WebSocket-Accept: {accept}\r\n\r\n".encode())
        with self._lock:
            self._conn = conn
            self._lock.notify_all()
        self._send(TEXT, json.dumps({"type": "hello", "num_connections": 1,
                                     "connection_info": {"app_id": "A0FAKE"}}).encode())
        try:
            while True:
                opcode, data = self._read_frame(conn)
                if opcode == CLOSE:
                    return
                if opcode == PING:
                    self._send(PONG, data)
                elif opcode == TEXT:
                    message = json.loads(data)
                    with self._lock:
                        self.acks[message.get("envelope_id", "")] = message.get("payload")
                        self._lock.notify_all()
        except (OSError, ConnectionError):
            return

    def _send(self, opcode: int, data: bytes) -> None:
        n = len(data)
        if n < 126:
            length = bytes([n])
        elif n < 65536:
            length = bytes([126]) + struct.pack(">H", n)
        else:
            length = bytes([127]) + struct.pack(">Q", n)
        with self._send_lock:
            assert self._conn is not None
            self._conn.sendall(bytes([0x80 | opcode]) + length + data)

    @staticmethod
    def _read_frame(conn: socket.socket) -> tuple[int, bytes]:
        def exactly(n: int) -> bytes:
            out = b""
            while len(out) < n:
                chunk = conn.recv(n - len(out))
                if not chunk:
                    raise ConnectionError("closed")
                out += chunk
            return out

        first, second = exactly(2)
        length = second & 0x7F
        if length == 126:
            length = struct.unpack(">H", exactly(2))[0]
        elif length == 127:
            length = struct.unpack(">Q", exactly(8))[0]
        mask = exactly(4) if second & 0x80 else b""
        data = exactly(length)
        if mask:
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        return first & 0x0F, data

