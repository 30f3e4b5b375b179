"""`shahr serve --workers N` binds its socket itself so the workers' connections get TCP_NODELAY (uvicorn
0.54 binds it with protocol 0, and asyncio then leaves Nagle's algorithm on: about 40 ms a keep-alive
request, uvicorn issue 3149)."""

from __future__ import annotations

import asyncio
import socket
from concurrent.futures import ThreadPoolExecutor

from shahr.web.serve import tcp_socket


def test_the_workers_socket_gives_connections_tcp_nodelay() -> None:
    listening = tcp_socket("127.0.0.1", 0)
    assert listening.proto == socket.IPPROTO_TCP
    assert listening.get_inheritable()

    async def accept_one() -> int:
        accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def connected(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(connected, sock=listening)
        _, writer = await asyncio.open_connection(*listening.getsockname()[:2])
        nodelay = await asyncio.wait_for(accepted, timeout=5)
        writer.close()
        server.close()
        await server.wait_closed()
        return nodelay

    # In a thread of its own: a test run may already have an event loop running in this one (the browser
    # tests' playwright session), and asyncio.run refuses to nest.
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(asyncio.run, accept_one()).result(timeout=30) != 0
