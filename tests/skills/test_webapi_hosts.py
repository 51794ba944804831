"""The web API skill reaches only its allowed hosts: no host off the list, no private
address unless listed (every resolved address checked, the checked one connected to),
no redirect off the list."""

import ipaddress
import socket
from urllib.parse import urlsplit

import pytest

import skills.webapi as webapi
import skills.webapi_hosts as hosts
from enrich.testing.webapi_server import SkillServer
from skills.base import SkillError
from skills.webapi import WebApiSkill
from skills.webapi_hosts import HostPolicy, HostRefused, Pinned

PUBLIC = "93.184.215.14"


@pytest.fixture(autouse=True)
def no_waits(monkeypatch):
    monkeypatch.setattr(webapi, "_sleep", lambda seconds: None)


@pytest.fixture
def dns(monkeypatch):
    """A resolver answering from a dict (host -> addresses) instead of the network."""
    answers, real = {}, socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            try:
                ipaddress.ip_address(host)
            except ValueError:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
            return real(host, port, *args, **kwargs)  # an address: what the client connects to
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (a, port)) for a in answers[host]]

    monkeypatch.setattr(hosts.socket, "getaddrinfo", getaddrinfo)
    return answers


def refused(result, *words):
    assert isinstance(result, SkillError) and not result.transient, result
    assert all(word in result.message for word in words), result.message


def test_a_host_not_listed_is_never_asked():
    with SkillServer() as server:
        (result,) = WebApiSkill(uri=server.url(), allowed_hosts=["api.example.com"]).run(
            [{"text": "x"}])
    refused(result, "127.0.0.1 is not in the skill's allowed_hosts (api.example.com)")
    assert server.requests == []


def test_a_private_address_not_listed_is_refused_even_as_the_uris_own_host():
    with SkillServer() as server:
        (result,) = WebApiSkill(uri=server.url()).run([{"text": "x"}])
    refused(result, "127.0.0.1 is a private, loopback")
    assert server.requests == []


def test_a_listed_name_does_not_open_the_private_addresses_it_resolves_to():
    with SkillServer() as server:
        (result,) = WebApiSkill(uri=server.url(host="localhost"),
                                allowed_hosts=["localhost"]).run([{"text": "x"}])
        (ok,) = WebApiSkill(uri=server.url(host="localhost"),
                            allowed_hosts=["localhost", "127.0.0.0/8", "::1"]).run(
            [{"text": "x"}])
    refused(result, "localhost resolves to", "allowed_hosts does not list")
    assert ok == {"words": ["X"], "count": 1}
    assert server.requests[0].headers["Host"] == f"localhost:{server.port}"


def test_every_resolved_address_is_checked(dns):
    dns["api.example.com"] = [PUBLIC, "10.1.2.3"]
    policy = HostPolicy(["api.example.com"], "https://api.example.com/x")
    with pytest.raises(HostRefused, match="resolves to 10.1.2.3"):
        policy.pin("https://api.example.com/x")
    dns["api.example.com"] = [PUBLIC]
    pinned = policy.pin("https://api.example.com:8443/x?code=1")
    assert pinned.url == f"https://{PUBLIC}:8443/x?code=1"
    assert (pinned.host, pinned.server_name) == ("api.example.com:8443", "api.example.com")


def test_the_request_goes_to_the_address_that_was_checked(dns):
    """DNS rebinding: the name is resolved once, checked, and that address connected to."""
    dns["skills.example.test"] = ["127.0.0.1"]
    with SkillServer() as server:
        made = WebApiSkill(uri=server.url(host="skills.example.test"),
                           allowed_hosts=["skills.example.test", "127.0.0.1"])
        assert made.run([{"text": "x"}]) == [{"words": ["X"], "count": 1}]
        dns["skills.example.test"] = ["169.254.169.254"]  # the answer changes
        (result,) = made.run([{"text": "x"}])
    refused(result, "resolves to 169.254.169.254")
    assert len(server.requests) == 1
    assert server.requests[0].headers["Host"] == f"skills.example.test:{server.port}"


@pytest.mark.parametrize("url", ["http://[::ffff:127.0.0.1]:80/x", "http://[::1]/x",
                                 "http://169.254.169.254/latest", "http://10.0.0.1/x",
                                 "http://100.64.0.1/x", "http://0.0.0.0/x"])
def test_private_loopback_link_local_and_shared_addresses(url):
    with pytest.raises(HostRefused, match="private"):
        HostPolicy(None, url).pin(url)
    assert HostPolicy([urlsplit(url).hostname], url).pin(url)  # listed: allowed


def test_plain_http_needs_an_explicit_listing(dns):
    dns["api.example.com"] = [PUBLIC]
    with pytest.raises(HostRefused, match="plain http"):
        HostPolicy(None, "http://api.example.com/x").pin("http://api.example.com/x")
    assert HostPolicy(None, "https://api.example.com/x").pin("https://api.example.com/x") \
        == Pinned(f"https://{PUBLIC}/x", "api.example.com", "api.example.com")
    assert HostPolicy(["api.example.com"], "").pin("http://api.example.com/x") \
        == Pinned(f"http://{PUBLIC}/x", "api.example.com", "api.example.com")


@pytest.mark.parametrize("url", ["https://api.example.com:99999/x", "https://api.example.com:x/x",
                                 "https://[::1/x"])
def test_an_unreadable_url_is_refused(url):
    """A port past 65535 or no number, a broken IPv6 host (a redirect's Location): refused,
    never a ValueError."""
    with pytest.raises(HostRefused, match="an unreadable URL"):
        HostPolicy(["api.example.com", "::1"], "").pin(url)


def redirect(status, location):
    return (status, {"Location": location}, b"")


def test_a_redirect_off_the_list_is_not_followed():
    with SkillServer() as server:
        server.script.append(redirect(307, "http://elsewhere.example.com/skill"))
        (result,) = WebApiSkill(uri=server.url(), allowed_hosts=["127.0.0.1"]).run(
            [{"text": "x"}])
    refused(result, "elsewhere.example.com is not in the skill's allowed_hosts")
    assert len(server.requests) == 1


def test_a_307_to_an_allowed_host_is_followed_with_its_body():
    with SkillServer() as server:
        server.script.append(redirect(307, "/moved"))
        (result,) = WebApiSkill(uri=server.url(), allowed_hosts=["127.0.0.1"]).run(
            [{"text": "x"}])
    assert result == {"words": ["X"], "count": 1}
    assert [r.path for r in server.requests] == ["/skill", "/moved"]
    assert server.requests[1].body == server.requests[0].body


def test_other_redirects_and_redirect_loops_fail_with_the_reason():
    with SkillServer() as server:
        server.script.append(redirect(302, "/moved"))
        server.script += [redirect(308, "/again")] * 4
        skill = WebApiSkill(uri=server.url(), allowed_hosts=["127.0.0.1"])
        (found,) = skill.run([{"text": "x"}])
        (loop,) = skill.run([{"text": "x"}])
    refused(found, "HTTP 302 redirect to /moved", "only 307/308")
    refused(loop, "more than 3 redirects")


@pytest.mark.parametrize(("inner", "connected"), [
    ("64:ff9b::7f00:1", "[64:ff9b::7f00:1]"), ("64:ff9b:1::a00:1", "[64:ff9b:1::a00:1]"),
    ("2002:7f00:1::", "[2002:7f00:1::]"), ("2002:a9fe:a9fe::1", "[2002:a9fe:a9fe::1]"),
    ("::127.0.0.1", "[::7f00:1]"), ("::ffff:0:a00:1", "[::ffff:0:a00:1]"),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "[2001:0:4136:e378:8000:63bf:3fff:fdd2]"),
    ("::ffff:10.0.0.1", "10.0.0.1")])  # an IPv4-mapped address: its IPv4 address
def test_an_ipv6_address_carrying_a_private_ipv4_one_is_refused_unless_listed(inner, connected,
                                                                              dns):
    """NAT64, 6to4, IPv4-compatible, -translated and -mapped addresses reach the IPv4
    address inside; local-use NAT64 and Teredo hide it: refused, as a literal or a name."""
    url = f"https://[{inner}]/x"
    with pytest.raises(HostRefused, match="private"):
        HostPolicy(None, url).pin(url)
    dns["api.example.com"] = [inner]
    with pytest.raises(HostRefused, match="resolves to"):
        HostPolicy(["api.example.com"], "").pin("https://api.example.com/x")
    assert HostPolicy([inner], url).pin(url) == Pinned(f"https://{connected}/x", f"[{inner}]",
                                                       None)  # listed: allowed


@pytest.mark.parametrize("outer", ["64:ff9b::5db8:d70e", "2002:5db8:d70e::1"])
def test_an_ipv6_address_carrying_a_public_ipv4_one_is_public(outer, dns):
    dns["api.example.com"] = [outer]
    assert HostPolicy(None, "https://api.example.com/x").pin("https://api.example.com/x") \
        == Pinned(f"https://[{ipaddress.ip_address(outer)}]/x", "api.example.com",
                  "api.example.com")
