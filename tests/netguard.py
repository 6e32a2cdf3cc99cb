"""A guard that refuses any connection beyond the loopback interface, in tests and their subprocesses."""

from __future__ import annotations

import ipaddress
import socket

BLOCKED = "test tried to connect beyond loopback: {address!r}"
_original_connect = socket.socket.connect
_original_connect_ex = socket.socket.connect_ex


class NetworkBlocked(OSError):
    """A test reached for the network."""


def _allowed(sock: socket.socket, address) -> bool:
    if sock.family == getattr(socket, "AF_UNIX", None):
        return True
    host = address[0] if isinstance(address, tuple) else address
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name that is not localhost would need DNS: not allowed


def _check(sock: socket.socket, address) -> None:
    if not _allowed(sock, address):
        raise NetworkBlocked(BLOCKED.format(address=address))


def _connect(self, address):
    _check(self, address)
    return _original_connect(self, address)


def _connect_ex(self, address):
    _check(self, address)
    return _original_connect_ex(self, address)


def install() -> None:
    socket.socket.connect = _connect
    socket.socket.connect_ex = _connect_ex
