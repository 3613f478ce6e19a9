"""Is this an address a confirmation can be sent to: its syntax, and optionally its domain's DNS."""

from __future__ import annotations

import re
import socket

from ..notify.settings import address_ok

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
#: RFC 5322's dot-atom (letters of any script allowed, as RFC 6531 does): no quoted local parts, no comments.
_LOCAL = re.compile(r"^[\w!#$%&'*+/=?^`{|}~-]+(?:\.[\w!#$%&'*+/=?^`{|}~-]+)*$")


def address_valid(address: str) -> bool:
    """One ``local@domain`` with a dotted, DNS-shaped domain (internationalised names allowed), at most 254 long."""
    local, _, domain = address.rpartition("@")
    if len(address) > 254 or not _LOCAL.match(local) or not address_ok(address):
        return False
    if len(local) > 64 or "." not in domain:
        return False
    try:
        ascii_domain = domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return False
    labels = ascii_domain.split(".")
    return all(_LABEL.match(label) for label in labels) and not labels[-1].isdigit()


def domain_receives_mail(domain: str, timeout: float = 5.0) -> bool:
    """Whether the domain has an MX record, or else an A or AAAA record (RFC 5321's implicit MX).

    With dnspython installed the MX lookup is real; without it only the
    address records are looked up, through the system's resolver.
    """
    try:
        import dns.exception
        import dns.resolver
    except ImportError:
        return _has_address(domain)
    resolver = dns.resolver.Resolver()
    resolver.lifetime = timeout
    for kind in ("MX", "A", "AAAA"):
        try:
            if resolver.resolve(domain, kind):
                return True
        except (dns.resolver.NXDOMAIN, dns.resolver.NoNameservers):
            return False
        except (dns.resolver.NoAnswer, dns.exception.Timeout):
            continue
        except dns.exception.DNSException:
            continue
    return False


def _has_address(domain: str) -> bool:
    try:
        return bool(socket.getaddrinfo(domain, None))
    except (OSError, UnicodeError):
        return False
