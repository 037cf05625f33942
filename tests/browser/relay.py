"""A local TCP relay between the browser and the live server, to cut "the signal" for real.

``context.set_offline(True)`` does not cut a request already in flight as a page unloads (DESIGN.md,
"Checked on these machines"), and it tells the page it is offline, which a phone with one bar of
signal never does. Through this relay the page believes it is online and its requests really fail:

- ``stop()``: nothing listens on the port any more and every open connection is cut: a request gets
  "connection refused" at once, as with no signal at all;
- ``stall()``: connections are accepted and read, but nothing is passed on and nothing comes back: a
  request stays in flight until the page gives up on it (or goes);
- ``start()``: new connections flow both ways again (a stalled one stays stalled until the browser
  drops it, as a request lost in a dead spot does).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from urllib.parse import urlsplit


class Relay:
    def __init__(self, target_url: str):
        parts = urlsplit(target_url)
        self.target = (parts.hostname, parts.port)
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.url = f"http://127.0.0.1:{self.port}"
        self.mode = "stopped"
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    # -- switching ---------------------------------------------------------------------------------

    def start(self) -> None:
        self.mode = "open"
        self._listen()

    def stall(self) -> None:
        self._cut_all()
        self.mode = "stall"
        self._listen()

    def stop(self) -> None:
        self.mode = "stopped"
        if self._listener is not None:
            # shutdown() first: close() alone leaves a thread blocked in accept() listening (Linux).
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        self._cut_all()

    # -- inside ------------------------------------------------------------------------------------

    def _listen(self) -> None:
        if self._listener is not None:
            return
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # stopped
            self._track(client)
            if self.mode == "stall":
                threading.Thread(target=self._swallow, args=(client,), daemon=True).start()
                continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                self._close(client)
                continue
            self._track(upstream)
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            self._close(source)
            self._close(sink)

    def _swallow(self, client: socket.socket) -> None:
        """Read what the browser sends and drop it: the request never reaches the server."""
        try:
            while client.recv(65536):
                pass
        except OSError:
            pass
        finally:
            self._close(client)

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)

    def _close(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()

    def _cut_all(self) -> None:
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            self._close(sock)
