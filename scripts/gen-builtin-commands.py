#!/usr/bin/env python3
"""Regenerates src/command/builtin_commands.cpp, Funnel's bootstrap command table, from a running
redis-server's COMMAND reply (read over a plain socket in RESP2, so no client library is needed).

Usage:
  scripts/gen-builtin-commands.py --port 6379 [--host 127.0.0.1] [--output PATH]
  scripts/gen-builtin-commands.py --spawn      # starts a throwaway redis-server, stops it by PID

--capture-test-data PATH writes the COMMAND INFO replies used by tests/unit/command instead.
"""

import argparse
import os
import socket
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUTPUT = os.path.join(REPO, "src", "command", "builtin_commands.cpp")

# COMMAND's flag and ACL category names -> the enumerator names in command_table.hpp.
FLAGS = {
    "write": "kWrite", "readonly": "kReadonly", "denyoom": "kDenyOom", "module": "kModule",
    "admin": "kAdmin", "pubsub": "kPubsub", "noscript": "kNoscript", "blocking": "kBlocking",
    "loading": "kLoading", "stale": "kStale", "skip_monitor": "kSkipMonitor",
    "skip_slowlog": "kSkipSlowlog", "asking": "kAsking", "fast": "kFast", "no_auth": "kNoAuth",
    "may_replicate": "kMayReplicate", "sentinel": "kSentinel", "only_sentinel": "kOnlySentinel",
    "no_mandatory_keys": "kNoMandatoryKeys", "protected": "kProtected",
    "movablekeys": "kMovableKeys", "no_multi": "kNoMulti", "allow_busy": "kAllowBusy",
    "no_async_loading": "kNoAsyncLoading",
}
ACL = {
    "keyspace": "kKeyspace", "read": "kRead", "write": "kWrite", "set": "kSet",
    "sortedset": "kSortedSet", "list": "kList", "hash": "kHash", "string": "kString",
    "bitmap": "kBitmap", "hyperloglog": "kHyperLogLog", "geo": "kGeo", "stream": "kStream",
    "pubsub": "kPubsub", "admin": "kAdmin", "fast": "kFast", "slow": "kSlow",
    "blocking": "kBlocking", "dangerous": "kDangerous", "connection": "kConnection",
    "transaction": "kTransaction", "scripting": "kScripting",
}

# The subset captured for the table-loader tests: plain, container, blocking, pubsub commands.
CAPTURE_NAMES = ["get", "set", "config", "blpop", "xread", "subscribe", "publish", "ping"]


class Resp:
    """Minimal blocking RESP2/RESP3 reader: enough for COMMAND and HELLO replies."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.raw = b""  # every byte consumed by read(), for --capture-test-data

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        self.raw += line + b"\r\n"
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        self.raw += data + b"\r\n"
        return data

    def _fill(self):
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            sys.exit("gen-builtin-commands: connection closed by redis-server")
        self.buf += chunk

    def read(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind in (b"+", b"("):
            return rest.decode()
        if kind == b"-":
            sys.exit("gen-builtin-commands: redis-server replied -" + rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"_":
            return None
        if kind in (b"$", b"="):
            n = int(rest)
            return None if n < 0 else self._exact(n).decode()
        if kind in (b"*", b"~", b">"):
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        if kind == b"%":
            return [self.read() for _ in range(2 * int(rest))]
        sys.exit("gen-builtin-commands: unexpected RESP type %r" % kind)


def encode(*args):
    out = b"*%d\r\n" % len(args)
    for arg in args:
        data = arg.encode()
        out += b"$%d\r\n%s\r\n" % (len(data), data)
    return out


def query(sock, reader, *args):
    sock.sendall(encode(*args))
    return reader.read()


def bits(names, mapping, enum_alias, where):
    chosen = []
    for name in names:
        key = name.lower().lstrip("@")
        if key in mapping:
            chosen.append("%s::%s" % (enum_alias, mapping[key]))
        else:  # a newer server's flag: the table ignores unknown names too
            print("gen-builtin-commands: %s: ignoring unknown %r" % (where, name), file=sys.stderr)
    return "bits(%s)" % ", ".join(chosen)


def row(entry, subcommand_count):
    name, arity, flags, first, last, step = entry[:6]
    acl = entry[6] if len(entry) > 6 else []
    for value in (first, last, step):
        assert -128 <= value <= 127, "key position out of int8 range in %s" % name
    assert subcommand_count <= 255 and -32768 <= arity <= 32767
    return '  {"%s", %d, %s, %s, %d, %d, %d, %d},' % (
        name.lower(), arity, bits(flags, FLAGS, "F", name), bits(acl, ACL, "A", name),
        first, last, step, subcommand_count)


def render(entries, version):
    rows = []
    for entry in sorted(entries, key=lambda e: e[0].lower()):
        subs = entry[9] if len(entry) > 9 and entry[9] else []
        rows.append(row(entry, len(subs)))
        rows.extend(row(sub, 0) for sub in sorted(subs, key=lambda e: e[0].lower()))
    return TEMPLATE.format(version=version, count=len(rows), rows="\n".join(rows))


TEMPLATE = """\
// GENERATED by scripts/gen-builtin-commands.py from redis-server {version}'s COMMAND reply
// (all commands and subcommands). Do not edit: start a redis-server and rerun the script.
// The bootstrap table behind CommandTable::builtin(), used until a backend's own COMMAND loads.
#include "command/builtin_commands.hpp"

namespace funnel::command {{
namespace {{

using F = Flag;
using A = AclCategory;

// Each container row is followed by its subcommand rows (the last column counts them).
// clang-format off
constexpr BuiltinRow kRows[] = {{
{rows}
}};
// clang-format on

}}  // namespace

const char kBuiltinSource[] = "redis-server {version}";

std::span<const BuiltinRow> builtin_rows() {{
  return kRows;
}}

}}  // namespace funnel::command
"""


def capture_test_data(host, port, path):
    """Writes raw COMMAND INFO replies (RESP2 and RESP3) as C++ string literals for the tests."""
    parts = []
    for proto in ("2", "3"):
        sock = socket.create_connection((host, port))
        reader = Resp(sock)
        query(sock, reader, "HELLO", proto)
        reader.raw = b""
        query(sock, reader, "COMMAND", "INFO", *CAPTURE_NAMES)
        sock.close()
        body = literal_lines(reader.raw.split(b"\r\n")[:-1])
        parts.append("inline constexpr char kCommandInfoResp%s[] =\n%s;\n" % (proto, body))
    with open(path, "w") as out:
        out.write("// GENERATED by scripts/gen-builtin-commands.py --capture-test-data from %s:\n"
                  "// after HELLO 2 / HELLO 3, the raw replies to\n// COMMAND INFO %s\n"
                  "#pragma once\n\n// clang-format off\n%s// clang-format on\n"
                  % (server_version(host, port), " ".join(CAPTURE_NAMES), "\n".join(parts)))


def literal_lines(resp_lines):
    """Packs RESP lines into C++ string literal lines of about 90 columns."""
    out, current = [], ""
    for line in resp_lines:
        current += line.decode().replace("\\", "\\\\").replace('"', '\\"') + "\\r\\n"
        if len(current) > 84:
            out.append('    "%s"' % current)
            current = ""
    if current:
        out.append('    "%s"' % current)
    return "\n".join(out)


def server_version(host, port):
    sock = socket.create_connection((host, port))
    info = query(sock, Resp(sock), "INFO", "server")
    sock.close()
    for line in info.splitlines():
        if line.startswith("redis_version:"):
            return "redis-server " + line.split(":", 1)[1].strip()
    return "redis-server (unknown version)"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def spawn_server():
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port)).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.terminate()
    sys.exit("gen-builtin-commands: redis-server did not start on port %d" % port)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int)
    parser.add_argument("--spawn", action="store_true", help="start a throwaway redis-server")
    parser.add_argument("--output", default=DEFAULT_OUTPUT)
    parser.add_argument("--capture-test-data", metavar="PATH")
    args = parser.parse_args()
    if args.spawn == (args.port is not None):
        parser.error("give exactly one of --port and --spawn")
    proc = None
    if args.spawn:
        proc, args.port = spawn_server()
    try:
        if args.capture_test_data:
            capture_test_data(args.host, args.port, args.capture_test_data)
            return
        version = server_version(args.host, args.port).split(" ", 1)[1]
        sock = socket.create_connection((args.host, args.port))
        entries = query(sock, Resp(sock), "COMMAND")
        sock.close()
        with open(args.output, "w") as out:
            out.write(render(entries, version))
        print("wrote %s (%d commands)" % (args.output, len(entries)))
    finally:
        if proc:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
