#!/usr/bin/env python3
"""Reads this machine's apt sources and keeps Debian's own repositories (*.debian.org).

  debian_sources.py mirror SUITE    the first Debian mirror serving SUITE (for debootstrap)
  debian_sources.py sources SUITE   a deb822 sources file with the Debian entries for SUITE,
                                    SUITE-updates and SUITE-security (for the test root)

Both deb822 files (/etc/apt/sources.list.d/*.sources) and one-line lists are read. Exits 1 when
no Debian repository serves SUITE.
"""
import glob
import re
import sys
from urllib.parse import urlparse


def deb822_entries(path):
    for stanza in re.split(r"\n\s*\n", open(path, encoding="utf-8").read()):
        fields, key = {}, None
        for line in stanza.splitlines():
            if line.startswith("#"):
                continue
            if line[:1] in (" ", "\t") and key:
                fields[key] += " " + line.strip()
            elif ":" in line:
                key, value = line.split(":", 1)
                key = key.strip().lower()
                fields[key] = value.strip()
        if fields.get("enabled", "yes").lower() == "no" or "deb" not in fields.get("types", "").split():
            continue
        for uri in fields.get("uris", "").split():
            yield uri, fields.get("suites", "").split(), fields.get("components", "").split()


def one_line_entries(path):
    for line in open(path, encoding="utf-8"):
        line = re.sub(r"\[[^]]*\]", " ", line.split("#", 1)[0]).split()
        if len(line) >= 3 and line[0] == "deb":
            yield line[1], [line[2]], line[3:]


def entries():
    for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
        yield from deb822_entries(path)
    for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
        try:
            yield from one_line_entries(path)
        except FileNotFoundError:
            pass


def is_debian(uri):
    host = urlparse(uri).hostname or ""
    return host == "debian.org" or host.endswith(".debian.org")


def main():
    mode, suite = sys.argv[1], sys.argv[2]
    wanted = {suite, suite + "-updates", suite + "-security"}
    found = [(u, [s for s in suites if s in wanted], comps)
             for u, suites, comps in entries() if is_debian(u)]
    found = [(u, s, c) for u, s, c in found if s]
    if mode == "mirror":
        for uri, suites, _ in found:
            if suite in suites:
                print(uri)
                return 0
        return 1
    if not any(suite in s for _, s, _ in found):
        return 1
    for uri, suites, _ in found:
        print(f"Types: deb\nURIs: {uri}\nSuites: {' '.join(suites)}\nComponents: main\n"
              "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
