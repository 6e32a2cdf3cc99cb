"""The guard that keeps every test on the loopback interface, in this process and in subprocesses."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from tests import netguard
from tests.conftest import base_env


def test_loopback_is_allowed():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.socket()
    client.connect(server.getsockname())
    client.close()
    server.close()


@pytest.mark.parametrize("address", [("192.0.2.1", 443), ("2001:db8::1", 443, 0, 0), ("api.github.com", 443)])
def test_anything_else_is_refused_before_a_packet_leaves(address):
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    with pytest.raises(netguard.NetworkBlocked):
        sock.connect(address)
    sock.close()


def test_subprocesses_started_by_tests_are_guarded_too(tmp_path):
    code = "import socket; socket.create_connection(('192.0.2.1', 443), timeout=1)"
    result = subprocess.run([sys.executable, "-c", code], env=base_env(tmp_path), capture_output=True, text=True)
    assert result.returncode != 0 and "NetworkBlocked" in result.stderr
