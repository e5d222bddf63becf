#!/usr/bin/env bash
# The package stage (scripts/test.sh --only package; issue #17, item 5): builds the Debian package
# from the release build, installs it with dpkg on this machine, and checks what an operator gets:
#   - systemd-analyze verify on the installed unit prints nothing (it exits 0 even for an invalid
#     Type=, so any output line fails the stage);
#   - the installed /usr/bin/funnel speaks systemd's notify protocol to a fake NOTIFY_SOCKET and
#     serves PING and SET/GET against a redis-server the test starts (sd_notify_test);
#   - the man page and the example config are where the unit and `man funnel` look.
# PID 1 here is not systemd: the unit is verified, never started. The package is removed at the
# end (dpkg -r keeps the funnel user, as Debian does until purge).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cmake --preset release
cmake --build --preset release -j "$(nproc)" --target funnel funnel-storm funnel_man_page \
  sd_notify_test
(cd build/release && rm -f funnel_*.deb && cpack -G DEB)
deb="$(ls build/release/funnel_*.deb)"
dpkg-deb --info "$deb"
dpkg -i "$deb"
trap 'dpkg -r funnel >/dev/null || true' EXIT

getent passwd funnel >/dev/null || {
  echo "package: postinst did not create the funnel user" >&2
  exit 1
}
for file in /usr/bin/funnel /usr/bin/funnel-storm /etc/funnel/funnel.toml \
  /lib/systemd/system/funnel.service /usr/share/man/man1/funnel.1 \
  /usr/share/doc/funnel/deployment.md; do
  [[ -f "$file" ]] || {
    echo "package: $file is missing" >&2
    exit 1
  }
done
grep -qF -- '\-\-listen' /usr/share/man/man1/funnel.1 || {
  echo "package: the man page does not list --listen" >&2
  exit 1
}

verify="$(systemd-analyze verify /lib/systemd/system/funnel.service 2>&1 || true)"
if [[ -n "$verify" ]]; then
  echo "package: systemd-analyze verify reported:" >&2
  echo "$verify" >&2
  exit 1
fi
echo "package: systemd-analyze verify: clean"

FUNNEL_INSTALLED_BINARY=/usr/bin/funnel build/release/tests/integration/sd_notify_test
