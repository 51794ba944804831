"""Which hosts a web API skill may reach, and the address it then connects to.

``allowed_hosts`` lists host names (``api.example.com``), IP addresses
(``127.0.0.1``, ``::1``) and networks (``10.0.0.0/8``). Without it, the one host of
the skill's ``uri`` is allowed, as a name (so an Azure definition works unchanged):
a private address is still refused. A URL is reachable when:

* its host is listed (a name is compared as written, case-insensitively; an IP
  literal must be a listed address or lie in a listed network);
* every address the name resolves to is public, or is itself a listed address or
  lies in a listed network: a private, loopback, link-local, shared or reserved
  address is never reached because a *name* was listed (a name whose DNS answer
  changes to ``127.0.0.1`` - DNS rebinding - reaches nothing); an IPv6 address that
  carries an IPv4 one (IPv4-mapped, NAT64, 6to4, IPv4-compatible) is judged by that
  IPv4 address, and local-use NAT64 (``64:ff9b:1::/48``) and Teredo (``2001::/32``)
  addresses are refused unless listed;
* its scheme is ``https``, or ``http`` to a host listed explicitly (keys sent in
  clear text only where someone said so).

The check is made at request time, for every request and redirect, and the request
then goes to the address that was checked (the URL's host replaced by it, ``Host``
and the TLS server name kept as the name, so certificates are still verified
against the name): a second DNS answer is never asked for, so it cannot differ.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Iterable
from urllib.parse import urlsplit, urlunsplit

from enrich.errors import EnrichError

__all__ = ["HostPolicy", "HostRefused", "Pinned"]

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class HostRefused(EnrichError):
    """A URL the web API skill may not reach (not on its allow-list, or a private
    address that is not listed)."""

    code = "E861"


@dataclass(frozen=True)
class Pinned:
    """A checked URL: ``url`` names the checked address; ``host`` (the ``Host``
    header) and ``server_name`` (TLS SNI, ``None`` for an IP literal) keep the name."""

    url: str
    host: str
    server_name: str | None


def _address(text: str) -> Address | None:
    try:
        address = ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_CARRIERS = (ipaddress.ip_network("::/96"), ipaddress.ip_network("::ffff:0:0:0/96"), _NAT64)
# local-use NAT64 (the IPv4 address's place depends on a prefix length we cannot know)
# and Teredo (a tunnel to whatever host is behind a NAT): never judged public
_OPAQUE = (ipaddress.ip_network("64:ff9b:1::/48"), ipaddress.ip_network("2001::/32"))


def _public(address: Address) -> bool:
    """A globally reachable unicast address; an IPv6 address that carries an IPv4 one
    (IPv4-compatible, IPv4-translated, NAT64, 6to4) is judged by that IPv4 address."""
    if isinstance(address, ipaddress.IPv6Address):
        if any(address in network for network in _OPAQUE):
            return False
        if address.sixtofour is not None:
            return _public(address.sixtofour)
        if any(address in network for network in _CARRIERS):
            return _public(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return address.is_global and not address.is_multicast


class HostPolicy:
    """The allow-list of one skill: :meth:`pin` checks a URL and names its address."""

    def __init__(self, allowed: Iterable[str] | None, uri: str) -> None:
        self.explicit = allowed is not None
        self.names: set[str] = set()
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        if allowed is None:  # the uri's host, by name: never a private address
            self.names.add((urlsplit(uri).hostname or "").lower().rstrip("."))
        for entry in allowed or ():
            if not isinstance(entry, str) or not entry.strip():
                raise ValueError(f"allowed_hosts: {entry!r} is not a host name, address or "
                                 "network")
            address = _address(entry.strip())  # an IPv4-mapped IPv6 address as IPv4
            try:
                self.networks.append(ipaddress.ip_network(address or entry.strip().strip("[]"),
                                                          strict=False))
            except ValueError:
                self.names.add(entry.strip().lower().rstrip("."))

    def listing(self) -> str:
        return ", ".join(sorted(self.names) + [str(n) for n in self.networks]) or "nothing"

    def _listed(self, address: Address) -> bool:
        return any(address in network for network in self.networks)

    def pin(self, url: str) -> Pinned:
        """``url`` pointed at its checked address; HostRefused when it may not be reached."""
        try:
            parts = urlsplit(url)
            explicit_port = parts.port
        except ValueError as exc:  # a port past 65535 or no number, a broken [IPv6] host
            raise HostRefused(f"an unreadable URL ({exc}): it cannot be reached") from None
        host = (parts.hostname or "").lower().rstrip(".")
        if parts.scheme not in ("http", "https") or not host:
            raise HostRefused(f"{parts.scheme}://{host}: only http(s) URLs with a host can "
                              "be reached")
        literal = _address(host)
        listed = host in self.names or bool(literal and self._listed(literal))
        if not listed:
            raise HostRefused(f"{host} is not in the skill's allowed_hosts ({self.listing()})")
        port = explicit_port or (443 if parts.scheme == "https" else 80)
        addresses = [literal] if literal else _resolve(host, port)
        for address in addresses:
            if not _public(address) and not self._listed(address):
                where = host if literal else f"{host} resolves to {address}, which"
                raise HostRefused(f"{where} is a private, loopback, link-local or reserved "
                                  "address that allowed_hosts does not list")
        if parts.scheme == "http" and not self.explicit:
            raise HostRefused(f"http://{host}: plain http only to a host listed in allowed_hosts "
                              "(use https)")
        target = addresses[0]
        shown = f"[{target}]" if target.version == 6 else str(target)
        netloc = f"{shown}:{explicit_port}" if explicit_port else shown
        pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
        host_header = parts.netloc.rsplit("@", 1)[-1]
        return Pinned(pinned, host_header, None if literal else host)


def _resolve(host: str, port: int) -> list[Address]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise HostRefused(f"cannot resolve {host}: {exc}") from None
    addresses = [_address(info[4][0].split("%", 1)[0]) for info in infos]
    found = list(dict.fromkeys(a for a in addresses if a is not None))
    if not found:
        raise HostRefused(f"{host} resolves to no address")
    return found
