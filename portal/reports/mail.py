"""Mail for the weekly digest: one message (plain text and HTML) through the SMTP server in
portal/reports/config.toml. Nothing is sent while no server is configured."""
from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr

from portal.reports.settings import SmtpSettings


class NotConfigured(Exception):
    """No SMTP server is configured; the message says where to set one."""


def recipients_for(owner: str | None, roles: dict[str, dict]) -> list[str]:
    """Who receives a digest, from the roles file: the SAMs whose book it is, or the leaders for the
    whole portfolio. Only identities that are e-mail addresses."""
    if owner is None:
        picked = [who for who, e in roles.items() if e.get("role") == "leader"]
    else:
        picked = [who for who, e in roles.items() if e.get("role") == "sam" and e.get("owner") == owner]
    return sorted(who for who in picked if "@" in parseaddr(who)[1])


def message(subject: str, text: str, html: str, to: list[str], sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = " ".join(subject.split())  # names from the data never break the header into two
    msg["From"], msg["To"] = sender, ", ".join(to)
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg


def send(msg: EmailMessage, s: SmtpSettings) -> list[str]:
    """Send `msg` through the configured server; returns the addresses it went to. NotConfigured
    when no server is set; smtplib's errors otherwise."""
    if not s.configured:
        raise NotConfigured("no SMTP server is configured: set [smtp] host in portal/reports/config.toml "
                            "or $RADAR_SMTP_HOST; nothing was sent")
    to = [addr for _, addr in getaddresses([msg["To"] or ""]) if addr]
    if not to:
        raise ValueError("the message has no recipients; nothing was sent")
    if s.ssl:
        server = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout_s, context=ssl.create_default_context())
    else:
        server = smtplib.SMTP(s.host, s.port, timeout=s.timeout_s)
    with server:
        if s.starttls and not s.ssl:
            server.starttls(context=ssl.create_default_context())
        if s.username:
            server.login(s.username, s.password or "")
        server.send_message(msg, to_addrs=to)
    return to
