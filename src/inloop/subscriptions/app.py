"""The subscription service: a small WSGI application beside the static site.

Routes, relative to the service's address (``[subscriptions] url``, else the
address it was reached at):

* ``GET /`` the sign-up form; ``POST /`` or ``POST /subscribe`` signs up;
* ``GET /confirm?token=`` confirms a sign-up (single use, until it expires);
* ``GET /manage?token=`` and ``POST /manage`` change the choices or unsubscribe;
* ``GET /unsubscribe?token=`` asks, ``POST /unsubscribe?token=`` unsubscribes
  at once (RFC 8058 one-click, as mail clients send it);
* ``GET /health`` answers ``ok`` once the database answers.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit
from wsgiref.util import application_uri

from inloop.read.config import CONFIG_NAME, load_config

from ..errors import BuildError, UsageError
from ..notify.channels import DeliveryError
from ..notify.settings import Smtp, read_settings
from . import mail, store
from .addresses import address_valid, domain_receives_mail
from .db import Connection, Database
from .forms import N_, BadForm, Form, TooLarge, client_key, read_form
from .migrations import migrate
from .settings import SubscriptionSettings, read_subscription_settings
from .tokens import BadToken, confirm_token, manage_token, manage_token_id, manage_token_ok, read_confirm_token
from .views import Views, language_choices

log = logging.getLogger("inloop.subscriptions")


HOUR = 3600
PRUNE_SECONDS = 600
StartResponse = Callable[..., Any]
Environ = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()


def personal_links(service_url: str, secret: bytes, subscriber: store.StoredSubscriber) -> tuple[str, str]:
    """The manage and one-click unsubscribe URLs of one subscriber (what ``inloop notify`` puts in each email)."""
    return links_of(service_url, secret, subscriber.id, subscriber.secret)


def links_of(service_url: str, secret: bytes, subscriber_id: str, subscriber_secret: str) -> tuple[str, str]:
    """:func:`personal_links` from a subscriber's id and secret alone."""
    token = quote(manage_token(secret, subscriber_id, subscriber_secret), safe="")
    return f"{service_url}manage?token={token}", f"{service_url}unsubscribe?token={token}"


def token_secret(settings: SubscriptionSettings, connection: Connection, environ: Mapping[str, str]) -> bytes:
    """The signing secret: the environment variable ``secret_env`` names, else the one kept in the database."""
    if settings.secret_env:
        value = environ.get(settings.secret_env, "")
        if len(value) < 16:
            raise UsageError(
                f"[subscriptions] secret_env names ${settings.secret_env}, which is "
                + ("not set" if not value else "shorter than 16 characters")
                + ": set it to a long random value, e.g. the output of 'openssl rand -hex 32'"
            )
        return value.encode("utf-8")
    return store.token_secret(connection)


def account_mail(service: Service, service_url: str, subscriber: store.StoredSubscriber, expires: int, now: int) -> Any:
    """The mail a sign-up sends: the confirmation link, or (already confirmed) the manage link."""
    assert service.smtp is not None
    manage, unsubscribe = personal_links(service_url, service.secret, subscriber)
    translations = service.views.translations(subscriber.language)
    moment = datetime.fromtimestamp(now, UTC)
    if subscriber.confirmed:
        links = mail.Links(manage, manage, unsubscribe)
        return mail.manage_mail(service.smtp, subscriber.email, service.config.title, links, moment, translations)
    assert subscriber.confirm_nonce is not None
    token = confirm_token(service.secret, subscriber.id, subscriber.confirm_nonce, expires)
    links = mail.Links(f"{service_url}confirm?token={quote(token, safe='')}", manage, unsubscribe)
    return mail.confirmation_mail(
        service.smtp, subscriber.email, service.config.title, links, expires, moment, translations
    )


class Service:
    """Everything one running service needs, read once from the site's ``inloop.toml``."""

    def __init__(
        self,
        source: Path,
        *,
        shown_source: str = ".",
        clock: Callable[[], float] = time.time,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        shown = CONFIG_NAME if shown_source in ("", ".") else os.path.join(shown_source, CONFIG_NAME)
        loaded = load_config(source, shown)
        if loaded.problems or loaded.config is None:
            raise BuildError(loaded.problems)
        self.source = source
        self.config = config = loaded.config
        tables = dict(config.raw_tables)
        text = (source / CONFIG_NAME).read_text("utf-8")
        self.settings = read_subscription_settings(tables.get("subscriptions"), shown, text, config.language, source)
        self.smtp: Smtp | None = None
        notify_raw = tables.get("notify")
        if isinstance(notify_raw, dict) and "smtp" in notify_raw:
            self.smtp = read_settings({"smtp": notify_raw["smtp"]}, source, shown, config.component_ids).smtp
        self.clock = clock
        self.database = Database(self.settings.database, source)
        with self.database.connect() as connection:
            self.migrated = migrate(connection)
            self.secret = token_secret(self.settings, connection, os.environ if environ is None else environ)
            with connection.transaction():
                store.prune(connection, int(clock()))
        self._pruned = clock()
        self.views = Views(source, config)
        self.component_ids = config.component_ids
        self.languages = language_choices(self.settings.languages)
        if self.smtp is None:
            log.warning("no [notify.smtp] in %s: sign-ups are refused until it is set", shown)

    # -- WSGI ----------------------------------------------------------------------------

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        try:
            response = self.handle(environ)
        except Exception:  # one request's failure, logged; the service goes on
            log.exception("request failed: %s %s", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"))
            response = Response(500, b"Internal error: see the service's log.\n", "text/plain; charset=utf-8")
        headers = [
            ("Content-Type", response.content_type),
            ("Content-Length", str(len(response.body))),
            ("Cache-Control", "no-store"),
            ("Referrer-Policy", "no-referrer"),  # the address bar holds a personal token
            ("X-Content-Type-Options", "nosniff"),
            ("Content-Security-Policy", "frame-ancestors 'none'"),
            *response.headers,
        ]
        start_response(f"{response.status} {HTTPStatus(response.status).phrase}", headers)
        return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else response.body]

    def service_url(self, environ: Environ) -> str:
        if self.settings.url:
            return self.settings.url
        found = application_uri(dict(environ))
        return found if found.endswith("/") else found + "/"

    def prune_now_and_then(self) -> None:
        """Expired sign-ups and old counters go at least every ten minutes, however few sign-ups come."""
        now = self.clock()
        if now - self._pruned >= PRUNE_SECONDS:
            self._pruned = now
            with self.database.connect() as connection, connection.transaction():
                store.prune(connection, int(now))

    def handle(self, environ: Environ) -> Response:
        self.prune_now_and_then()
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        service_url = self.service_url(environ)
        path = str(environ.get("PATH_INFO", "/") or "/")
        prefix = urlsplit(service_url).path
        if prefix not in ("", "/") and path.startswith(prefix):
            path = "/" + path[len(prefix) :]
        route = path.strip("/")
        query = Form(parse_qs(str(environ.get("QUERY_STRING", "")), keep_blank_values=True, max_num_fields=20))
        request = Request(self, environ, method, route, query, service_url)
        if route == "health" and method in ("GET", "HEAD"):
            with self.database.connect() as connection:
                connection.one("SELECT 1")
            return Response(200, b"ok\n", "text/plain; charset=utf-8")
        css_name, css = self.views.css()
        if route == css_name and method in ("GET", "HEAD"):
            return Response(200, css, "text/css; charset=utf-8")
        handlers: dict[tuple[str, str], Callable[[], Response]] = {
            ("", "GET"): request.form_page,
            ("subscribe", "GET"): request.form_page,
            ("", "POST"): request.sign_up,
            ("subscribe", "POST"): request.sign_up,
            ("confirm", "GET"): request.confirm,
            ("manage", "GET"): request.manage_page,
            ("manage", "POST"): request.manage,
            ("unsubscribe", "GET"): request.unsubscribe_page,
            ("unsubscribe", "POST"): request.unsubscribe,
        }
        allowed = [m for (r, m) in handlers if r == route]
        if not allowed:
            return request.message(404, N_("Page not found"), [N_("There is nothing at this address.")])
        handler = handlers.get((route, "GET" if method == "HEAD" else method))
        if handler is None:
            return Response(405, b"Method not allowed\n", "text/plain; charset=utf-8", (("Allow", ", ".join(allowed)),))
        try:
            return handler()
        except TooLarge:
            return request.message(413, N_("Request too large"), [N_("The form sent more than this service accepts.")])
        except BadForm as exc:
            return request.message(400, N_("Bad request"), [str(exc)])


class Request:
    """One request: its form, its client, and the answers it can get."""

    def __init__(
        self, service: Service, environ: Environ, method: str, route: str, query: Form, service_url: str
    ) -> None:
        self.service = service
        self.environ = environ
        self.method = method
        self.route = route
        self.query = query
        self.service_url = service_url
        self.now = int(service.clock())
        self.language = service.config.language
        self.gettext = service.views.translations(self.language).gettext

    # -- reading ---------------------------------------------------------------------------

    def body(self) -> Form:
        return read_form(self.environ, self.service.settings.max_request_bytes)

    def client(self) -> str:
        return client_key(self.environ, self.service.secret, self.service.settings.trust_forwarded_for)

    # -- pages ------------------------------------------------------------------------------

    def use_language(self, language: str) -> None:
        if language in self.service.settings.languages:
            self.language = language
            self.gettext = self.service.views.translations(language).gettext

    def page(self, status: int, values: dict[str, Any], headers: tuple[tuple[str, str], ...] = ()) -> Response:
        values.setdefault("lines", [])
        values.setdefault("view", "message")
        values.setdefault("languages", self.service.languages)
        values.setdefault("signup_action", self.service_url + "subscribe")
        values.setdefault("manage_link", None)
        body = self.service.views.render(self.language, self.service_url, self.route, values)
        return Response(status, body, headers=headers)

    def message(
        self, status: int, heading: str, lines: list[str], headers: tuple[tuple[str, str], ...] = (), **values: Any
    ) -> Response:
        gettext = self.gettext
        return self.page(
            status, {"heading": gettext(heading), "lines": [gettext(line) for line in lines], **values}, headers
        )

    def form_page(
        self,
        status: int = 200,
        email: str = "",
        error: str | None = None,
        chosen: tuple[str, ...] = (),
    ) -> Response:
        return self.page(
            status,
            {
                "view": "form",
                "heading": self.gettext("Subscribe to updates"),
                "email": email,
                "error": error,
                "chosen_components": chosen or self.service.component_ids,
                "chosen_language": self.language,
            },
        )

    # -- sign-up ------------------------------------------------------------------------------

    def sign_up(self) -> Response:
        service, settings = self.service, self.service.settings
        form = self.body()
        self.use_language(form.get("language"))
        address = form.get("email").strip()
        chosen = tuple(dict.fromkeys(form.all("components")))
        client = self.client()
        with service.database.connect() as connection:
            with connection.transaction():
                recent = store.client_requests_since(connection, client, self.now - HOUR)
                if recent >= settings.client_per_hour:
                    return self.too_many()
                store.log_client(connection, client, self.now)
        if form.get("website"):  # the honeypot: people never see it, robots fill it in
            log.info("sign-up ignored: the honeypot field was filled in")
            return self.sent_page(address)
        unknown = [c for c in chosen if c not in service.component_ids]
        language = form.get("language") or service.config.language
        if not address_valid(address):
            return self.form_page(
                400, address, self.gettext("This is not an email address: %(email)s") % {"email": address}, chosen
            )
        if unknown or language not in settings.languages:
            return self.form_page(400, address, self.gettext("Choose components and a language from the lists."))
        if settings.check_domain and not domain_receives_mail(address.rpartition("@")[2]):
            message = self.gettext("The domain %(domain)s does not receive email.") % {
                "domain": address.rpartition("@")[2]
            }
            return self.form_page(400, address, message, chosen)
        components = () if set(chosen) >= set(service.component_ids) else chosen
        return self.register(address, language, components)

    def register(self, address: str, language: str, components: tuple[str, ...]) -> Response:
        service, settings = self.service, self.service.settings
        shown = mail.mask(address)
        expires = self.now + int(settings.confirm_hours * HOUR)
        with service.database.connect() as connection:
            with connection.transaction():
                store.prune(connection, self.now)
                if store.mails_since(connection, address, self.now - HOUR) >= settings.email_per_hour:
                    log.info("sign-up of %s refused: too many mails to it in the last hour", shown)
                    return self.too_many()
                if store.suppressed(connection, address, self.now):
                    log.info("sign-up of %s: no mail, it unsubscribed or bounced in the last day", shown)
                    return self.sent_page(address)
                if service.smtp is None:
                    return self.message(
                        503, N_("Sign-up is not available"), [N_("This service cannot send email yet.")]
                    )
                subscriber = store.by_email(connection, address)
                if subscriber is None:
                    subscriber = store.add(
                        connection, address, language, components, self.now, confirmed=False, expires=expires
                    )
                elif not subscriber.confirmed:
                    subscriber = store.renew_pending(connection, subscriber, language, components, expires)
                store.log_mail(connection, address, "manage" if subscriber.confirmed else "confirm", self.now)
            built = account_mail(service, self.service_url, subscriber, expires, self.now)
        try:
            mail.send(service.smtp, service.config.base_url, built)
        except DeliveryError as exc:
            log.error("mail to %s failed: %s", shown, str(exc).replace(address, shown))
            return self.message(
                503,
                N_("The email could not be sent"),
                [N_("Please try again in a few minutes.")],
                (("Retry-After", "300"),),
            )
        log.info("%s mailed to %s", "manage link" if subscriber.confirmed else "confirmation link", shown)
        return self.sent_page(address)

    def sent_page(self, address: str) -> Response:
        """The one answer to every accepted sign-up, so that the form tells nobody who is subscribed."""
        return self.page(
            200,
            {
                "heading": self.gettext("Check your inbox"),
                "lines": [
                    self.gettext("If %(email)s can receive updates, an email is on its way to it.")
                    % {"email": address},
                    self.gettext("Follow the link in it to confirm. Nothing is sent until you do."),
                ],
            },
        )

    def too_many(self) -> Response:
        return self.message(
            429,
            N_("Too many requests"),
            [N_("Too many sign-ups came from here or for this address. Please try again in an hour.")],
            (("Retry-After", str(HOUR)),),
        )

    # -- confirm --------------------------------------------------------------------------------

    def confirm(self) -> Response:
        service = self.service
        try:
            confirmation = read_confirm_token(service.secret, self.query.get("token"))
        except BadToken:
            return self.bad_link()
        with service.database.connect() as connection:
            with connection.transaction():
                subscriber = store.by_id(connection, confirmation.subscriber_id)
                if subscriber is not None:
                    self.use_language(subscriber.language)
                if confirmation.expires < self.now:
                    store.prune(connection, self.now)
                    return self.message(
                        410, N_("This link has expired"), [N_("Sign up again to get a new one.")], signup_again=True
                    )
                if subscriber is None or not store.confirm(connection, subscriber.id, confirmation.nonce, self.now):
                    return self.message(
                        410,
                        N_("This link was already used"),
                        [N_("Each confirmation link works once. A newer email may have replaced it.")],
                        signup_again=True,
                    )
        log.info("%s confirmed", mail.mask(subscriber.email))
        manage, _ = personal_links(self.service_url, service.secret, subscriber)
        return self.message(
            200,
            N_("You are subscribed"),
            [N_("Updates will come to your inbox. Every email has a link to change what you get, or to unsubscribe.")],
            manage_link=manage,
        )

    def bad_link(self) -> Response:
        return self.message(
            400, N_("This link is not valid"), [N_("Check that the whole link was copied from the email.")]
        )

    # -- manage and unsubscribe ----------------------------------------------------------------

    def subscriber_for(self, connection: Connection, token: str) -> store.StoredSubscriber | Response:
        try:
            subscriber_id = manage_token_id(token)
        except BadToken:
            return self.bad_link()
        subscriber = store.by_id(connection, subscriber_id)
        if subscriber is None:
            return self.message(
                410, N_("This link no longer works"), [N_("This address is not subscribed.")], signup_again=True
            )
        if not manage_token_ok(self.service.secret, token, subscriber.id, subscriber.secret):
            return self.bad_link()
        self.use_language(subscriber.language)
        return subscriber

    def manage_values(self, subscriber: store.StoredSubscriber, token: str, heading: str) -> dict[str, Any]:
        return {
            "view": "manage",
            "heading": self.gettext(heading),
            "lines": [self.gettext("Choose what %(email)s receives.") % {"email": subscriber.email}],
            "token": token,
            "manage_action": self.service_url + "manage",
            "chosen_components": subscriber.components or self.service.component_ids,
            "chosen_language": subscriber.language,
            "confirmed": subscriber.confirmed,
        }

    def manage_page(self) -> Response:
        token = self.query.get("token")
        with self.service.database.connect() as connection:
            found = self.subscriber_for(connection, token)
        if isinstance(found, Response):
            return found
        return self.page(200, self.manage_values(found, token, N_("Your subscription")))

    def manage(self) -> Response:
        service = self.service
        form = self.body()
        token = form.get("token") or self.query.get("token")
        with service.database.connect() as connection:
            with connection.transaction():
                found = self.subscriber_for(connection, token)
                if isinstance(found, Response):
                    return found
                if form.get("action") == "unsubscribe":
                    store.unsubscribe(connection, found, self.now)
                    log.info("%s unsubscribed (manage page)", mail.mask(found.email))
                    return self.unsubscribed()
                chosen = tuple(dict.fromkeys(form.all("components")))
                language = form.get("language") or found.language
                if any(c not in service.component_ids for c in chosen) or language not in service.settings.languages:
                    return self.message(
                        400, N_("Bad request"), [N_("Choose components and a language from the lists.")]
                    )
                components = () if not chosen or set(chosen) >= set(service.component_ids) else chosen
                store.update_choices(connection, found.id, language, components)
                updated = store.by_id(connection, found.id)
        assert updated is not None
        self.use_language(updated.language)
        log.info("%s changed their choices", mail.mask(updated.email))
        return self.page(200, self.manage_values(updated, token, N_("Your choices are saved")))

    def unsubscribe_page(self) -> Response:
        token = self.query.get("token")
        with self.service.database.connect() as connection:
            found = self.subscriber_for(connection, token)
        if isinstance(found, Response):
            return found
        return self.page(
            200,
            {
                "view": "unsubscribe",
                "heading": self.gettext("Unsubscribe"),
                "lines": [self.gettext("Stop all email updates to %(email)s?") % {"email": found.email}],
                "unsubscribe_action": f"{self.service_url}unsubscribe?token={quote(token, safe='')}",
                "manage_link": f"{self.service_url}manage?token={quote(token, safe='')}",
            },
        )

    def unsubscribe(self) -> Response:
        """RFC 8058: a POST to the List-Unsubscribe URL unsubscribes, with no further question."""
        self.body()  # read (and size-checked), never needed: the token is in the URL
        token = self.query.get("token")
        with self.service.database.connect() as connection:
            with connection.transaction():
                found = self.subscriber_for(connection, token)
                if isinstance(found, Response):
                    return found
                store.unsubscribe(connection, found, self.now)
        log.info("%s unsubscribed", mail.mask(found.email))
        return self.unsubscribed()

    def unsubscribed(self) -> Response:
        return self.message(
            200, N_("You are unsubscribed"), [N_("No more updates will be sent to this address.")], signup_again=True
        )
