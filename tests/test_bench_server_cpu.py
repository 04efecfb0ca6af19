"""bench/server_cpu.py measures the server production runs: its `procfile` command is
Procfile.prod-local's web line (only the port and, for the trivial app, the application
swapped), and its client reads responses as servers send them."""

import asyncio
import concurrent.futures

from bench import server_cpu
from bench.server_trivial import application

ENV = {"WEB_PORT": "8000", "WEB_CONCURRENCY": "3", "WEB_THREADS": "5", "WEB_KEEPALIVE": "75"}


def test_the_procfile_server_is_the_procfiles_web_line():
    # Given Procfile.prod-local's web line with prod-local's variables
    expected = server_cpu.procfile_web()
    for name, value in ENV.items():
        expected = expected.replace("${" + name + "}", value)

    # When the bench builds its command for the portal on its own port
    command = server_cpu.server_command(
        "procfile", app=server_cpu.PORTAL_APP, port=8299, env=dict(ENV)
    )

    # Then it is that line, bound to the bench's port
    assert " ".join(command) == expected.replace("127.0.0.1:8000", "127.0.0.1:8299")


def test_the_trivial_app_replaces_the_portal_in_the_procfile_command():
    command = server_cpu.server_command(
        "procfile", app=server_cpu.TRIVIAL_APP, port=8299, env=dict(ENV)
    )

    assert server_cpu.TRIVIAL_APP in command
    assert "busanhub.wsgi" not in command
    assert command[command.index("--workers") + 1] == "3"
    assert command[command.index("--threads") + 1] == "5"


def test_the_trivial_app_answers_5_kb():
    answered = []
    body = b"".join(application({}, lambda status, headers: answered.append((status, headers))))

    assert len(body) == 5 * 1024
    assert answered == [("200 OK", server_cpu_headers(len(body)))]


def server_cpu_headers(length):
    return [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(length))]


def read_all(data: bytes) -> list[tuple[int, bool]]:
    async def run():
        reader = asyncio.StreamReader()
        reader.feed_data(data)
        reader.feed_eof()
        return [await server_cpu.response_read(reader), await server_cpu.response_read(reader)]

    # On a thread of its own: the browser tests' Playwright may leave an event loop running
    # on the test thread, where asyncio.run() refuses to start.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, run()).result()


def test_responses_are_read_by_length_and_by_chunks_off_one_connection():
    # Given a response with a Content-Length, then a chunked one that closes the connection
    data = (
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
        b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        b"3\r\nabc\r\n0\r\n\r\n"
    )

    # When both are read off the same stream
    # Then each ends where its body ends
    assert read_all(data) == [(200, False), (404, True)]


def test_a_request_becomes_the_environ_a_server_would_build():
    raw = server_cpu.request_bytes("/me/?page=2", "sessionid=abc", "en")

    environ = server_cpu.environ_for(raw)

    assert environ["REQUEST_METHOD"] == "GET"
    assert environ["PATH_INFO"] == "/me/"
    assert environ["QUERY_STRING"] == "page=2"
    assert environ["HTTP_COOKIE"] == "sessionid=abc"
    assert environ["HTTP_ACCEPT_LANGUAGE"] == "en"
    assert environ["HTTP_HOST"] == "127.0.0.1"
