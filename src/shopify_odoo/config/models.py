"""The typed configuration: one ``Settings`` object, built once by ``load_settings``.

Pydantic checks the shape and the type of each value here (unknown keys are refused); the
rules that span fields or rows (credential modes, duplicate mappings, pools) live in
``checks.py`` so that they can report every problem at once and be reused by the dashboard.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from .problems import Problem
from .types import (
    ApiVersion,
    DatabaseUrl,
    Duration,
    Handle,
    HttpUrl,
    OptionalText,
    Secret,
    ShopDomain,
    bad,
    one_or_many,
)

ENV_PREFIX = "SHOPIFY_ODOO_"
DEFAULT_CONFIG_FILE = "shopify-odoo.toml"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///shopify-odoo.db"
DEFAULT_API_VERSION = "2026-04"

Protocol = Literal["auto", "jsonrpc", "json2", "xmlrpc"]
Plan = Literal["basic", "standard", "advanced", "plus", "enterprise"]
CredentialMode = Literal["access_token", "client_credentials", "oauth"]
LocationType = Literal["online", "retail", "3pl", "pickup", "marketplace", "reserve"]
Direction = Literal["odoo_to_shopify", "shopify_to_odoo", "two_way"]
Allocation = Literal["shared", "split"]

#: GraphQL Admin restore rate per plan, points per second (shopify-admin-api.md §b.1 and
#: audit correction 3).  A hint only: the rate limiter reads the real bucket from every answer.
PLAN_POINTS_PER_SECOND: dict[str, int] = {
    "basic": 100,
    "standard": 100,
    "advanced": 200,
    "plus": 1000,
    "enterprise": 2000,
}


def _check_token_key(value: SecretStr | None) -> SecretStr | None:
    """A Fernet key (32 bytes, URL-safe base64): it encrypts the stored Shopify tokens."""
    if value is None:
        return None
    from cryptography.fernet import Fernet

    try:
        Fernet(value.get_secret_value().strip().encode())
    except (ValueError, TypeError):
        raise bad(
            "is not a valid token encryption key (32 bytes in URL-safe base64, 44 characters)",
            'Generate one with: python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())" and set SHOPIFY_ODOO_TOKEN_KEY to it',
        ) from None
    return value


TokenKey = Annotated[Secret, AfterValidator(_check_token_key)]

_GID_LOCATION = re.compile(r"^gid://shopify/Location/(\d+)$")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OdooSettings(_Section):
    """How to reach Odoo's external API (odoo-external-api.md §1)."""

    url: HttpUrl = Field(description="Base URL of Odoo, e.g. https://mycompany.odoo.com")
    database: OptionalText = Field(None, description="Database name (Odoo Online: the instance)")
    login: OptionalText = Field(None, description="Login of the integration user")
    api_key: Secret = Field(None, description="API key of the integration user (preferred)")
    password: Secret = Field(None, description="Password, when no API key is used")
    protocol: Protocol = Field("auto", description="auto, jsonrpc, json2 (19+) or xmlrpc")
    company_id: int | None = Field(None, ge=1, description="Main company id (res.company)")
    timeout: Duration = Field(30.0, description="Seconds to wait for one Odoo call")


Confirmation = Literal["confirm_paid", "confirm_all", "quotation"]
FulfilledBy = Literal["odoo", "shopify"]


class TaxRuleRow(_Section):
    """Shopify tax lines (rate, title, taxes-included flag) → Odoo taxes (orders)."""

    rate: Decimal = Field(ge=0, le=1, description="Tax rate as Shopify sends it, 0.2 = 20 %")
    taxes_included: bool = Field(description="Whether the order's prices include taxes")
    odoo_tax_ids: list[int] = Field(min_length=1, description="Odoo account.tax ids")
    title: OptionalText = Field(None, description="Only tax lines with this title (any if unset)")


class CarrierRow(_Section):
    """Odoo carrier → Shopify tracking company (fulfillments back to Shopify)."""

    odoo_carrier: str = Field(min_length=1, description="delivery.carrier name in Odoo")
    company: str = Field(min_length=1, description="Tracking company shown in Shopify")
    tracking_url: OptionalText = Field(None, description="URL template with {number}")


class OrderStoreSettings(_Section):
    """How a store's orders become Odoo sale orders (ids are Odoo record ids)."""

    confirmation: Confirmation = Field(
        "confirm_paid", description="confirm_paid, confirm_all or quotation"
    )
    team_id: int | None = Field(None, ge=1, description="Sales team (crm.team) of the store")
    company_id: int | None = Field(None, ge=1, description="Company of the sale orders")
    shipping_product_id: int | None = Field(None, ge=1, description="Product of shipping lines")
    carrier_id: int | None = Field(None, ge=1, description="delivery.carrier of shipped orders")
    discount_product_id: int | None = Field(None, ge=1, description="Product of discount lines")
    gift_card_product_id: int | None = Field(None, ge=1, description="Product of gift cards sold")
    tip_product_id: int | None = Field(None, ge=1, description="Product of tips")
    rounding_product_id: int | None = Field(None, ge=1, description="Product of rounding lines")
    guest_partner_id: int | None = Field(
        None, ge=1, description="Partner of orders with no email and no phone"
    )
    notify_customer: bool = Field(True, description="Shopify emails the buyer on fulfillment")
    tax_rules: list[TaxRuleRow] = Field(default_factory=list, description="Tax mapping")
    carriers: list[CarrierRow] = Field(default_factory=list, description="Carrier mapping")


class StoreSettings(_Section):
    """One Shopify store and its credentials (one of three modes, shopify-admin-api.md §h)."""

    handle: Handle = Field(description="Short unique name of the store, e.g. eu")
    shop_domain: ShopDomain = Field(description="Permanent domain, e.g. acme.myshopify.com")
    admin_url: Annotated[HttpUrl | None, BeforeValidator(lambda v: v or None)] = Field(
        None, description="Base URL override for a sandbox or proxy"
    )
    api_version: ApiVersion = Field(DEFAULT_API_VERSION, description="Admin API version")
    plan: Plan | None = Field(None, description="basic, standard, advanced, plus or enterprise")
    points_per_second: int | None = Field(None, ge=1, description="GraphQL restore rate")
    auth: CredentialMode | None = Field(None, description="Credential mode; inferred if unset")
    access_token: Secret = Field(None, description="Admin API access token")
    client_id: OptionalText = Field(None, description="App client id")
    client_secret: Secret = Field(None, description="App client secret")
    redirect_url: Annotated[HttpUrl | None, BeforeValidator(lambda v: v or None)] = Field(
        None, description="OAuth redirect URL"
    )
    refresh_token: Secret = Field(None, description="OAuth refresh token")
    webhook_secret: Secret = Field(None, description="Webhook HMAC key")
    orders: OrderStoreSettings = Field(
        default_factory=OrderStoreSettings, description="Order import settings"
    )

    @property
    def credential_mode(self) -> CredentialMode | None:
        """The mode in use: explicit ``auth``, else inferred from the fields that are set."""
        if self.auth is not None:
            return self.auth
        if self.redirect_url is not None or self.refresh_token is not None:
            return "oauth"
        has_app = self.client_id is not None or self.client_secret is not None
        if self.access_token is not None and not has_app:
            return "access_token"
        if has_app and self.access_token is None:
            return "client_credentials"
        return None  # nothing set, or ambiguous (checks.py says which)

    @property
    def webhook_secrets(self) -> tuple[SecretStr, ...]:
        """Keys a webhook HMAC may be signed with: Shopify signs with the app's client secret
        (shopify-admin-api.md §d.3, §h); ``webhook_secret`` is accepted too (rotation)."""
        keys: list[SecretStr] = []
        for key in (self.webhook_secret, self.client_secret):
            if key is not None and all(
                k.get_secret_value() != key.get_secret_value() for k in keys
            ):
                keys.append(key)
        return tuple(keys)

    @property
    def base_url(self) -> str:
        return self.admin_url or f"https://{self.shop_domain}"

    @property
    def graphql_url(self) -> str:
        return f"{self.base_url}/admin/api/{self.api_version}/graphql.json"

    @property
    def token_url(self) -> str:
        """Where tokens are requested (client credentials, code exchange, refresh)."""
        return f"{self.base_url}/admin/oauth/access_token"

    @property
    def rate_hint(self) -> int | None:
        """Points per second expected for this store, if configured."""
        if self.points_per_second is not None:
            return self.points_per_second
        return PLAN_POINTS_PER_SECOND.get(self.plan) if self.plan else None


def location_key(ref: str) -> tuple[str, str]:
    """How a Shopify location reference compares: numeric id (plain or GID) or name."""
    text = ref.strip()
    gid = _GID_LOCATION.match(text)
    if gid:
        return ("id", gid.group(1))
    if text.isdigit():
        return ("id", text)
    return ("name", text.casefold())


def _to_text(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


LocationRef = Annotated[str, BeforeValidator(_to_text), Field(min_length=1)]
OdooLocations = Annotated[list[str], BeforeValidator(one_or_many)]


class LocationRow(_Section):
    """One row of the cutover sheet: a Shopify location and the Odoo stock it sells."""

    store: str = Field(description="Handle of the store")
    shopify_location: LocationRef = Field(description="Location name, numeric id or GID")
    type: LocationType | None = Field(None, description="Kind of location")
    odoo_warehouse: OptionalText = Field(None, description="Warehouse code or name")
    odoo_locations: OdooLocations = Field(
        default_factory=list, description='Complete names, e.g. ["WH/Stock"]'
    )
    company: int | None = Field(None, ge=1, description="Odoo company id")
    enabled: bool = Field(True, description="false pauses syncing of this row")
    excluded: bool = Field(False, description="true: never touch this Shopify location")
    direction: Direction = Field("odoo_to_shopify", description="Which side is counted")
    buffer: int = Field(0, ge=0, description="Units held back from Shopify")
    pool: OptionalText = Field(None, description="Shared Odoo pool name")
    fulfilled_by: FulfilledBy | None = Field(
        None, description="Who ships orders here: odoo, or shopify (3PL apps, POS)"
    )
    notes: str = Field("", description="Free text")

    @property
    def ships_from(self) -> FulfilledBy:
        """Explicit ``fulfilled_by``, else shopify for 3PL and retail locations, else odoo."""
        if self.fulfilled_by is not None:
            return self.fulfilled_by
        return "shopify" if self.type in ("3pl", "retail") else "odoo"

    @property
    def location_key(self) -> tuple[str, str]:
        return location_key(self.shopify_location)

    @property
    def pool_name(self) -> str:
        """The pool this row draws on: explicit, else derived from its Odoo locations."""
        if self.pool:
            return self.pool
        return "+".join(sorted(self.odoo_locations))

    @property
    def active(self) -> bool:
        return self.enabled and not self.excluded

    @property
    def draws_stock(self) -> bool:
        """Whether Odoo stock is pushed to this location (so it takes a share of its pool)."""
        return self.active and self.direction != "shopify_to_odoo"


class SkuBuffer(_Section):
    """Safety stock for one SKU, everywhere or scoped to a store or one of its locations."""

    sku: str = Field(min_length=1, description="Exact SKU")
    buffer: int = Field(ge=0, description="Units held back")
    store: OptionalText = Field(None, description="Only in this store")
    shopify_location: Annotated[str | None, BeforeValidator(_to_text)] = Field(
        None, description="Only at this location of the store"
    )


class PoolSettings(_Section):
    """Allocation of one shared Odoo pool among the stores that sell it (DESIGN.md §2)."""

    name: str = Field(min_length=1, description="Pool name used by location_map rows")
    allocation: Allocation = Field("shared", description="shared or split")
    split: dict[str, Decimal] = Field(
        default_factory=dict, description="Percent per store handle (split only)"
    )


class SyncSettings(_Section):
    odoo_poll_interval: Duration = Field(30.0, description="Seconds between Odoo change polls")
    order_poll_interval: Duration = Field(60.0, description="Seconds between order polls")
    reconcile_interval: Duration = Field(3600.0, description="Full reconcile sweep period")
    barcode_fallback: bool = Field(False, description="Link by barcode when SKU does not match")
    max_attempts: int = Field(10, ge=1, le=100, description="Tries before the dead letter")
    webhook_base_url: Annotated[HttpUrl | None, BeforeValidator(lambda v: v or None)] = Field(
        None, description="Public URL Shopify delivers webhooks to"
    )
    receiver_host: str = Field("127.0.0.1", min_length=1, description="Receiver bind address")
    receiver_port: int = Field(8080, ge=0, le=65535, description="Receiver port")
    odoo_webhook_secret: Secret = Field(
        None, description="Shared secret of Odoo automation-rule webhooks (/webhooks/odoo)"
    )


class DashboardSettings(_Section):
    password_hash: Secret = Field(None, description="Hash of the dashboard password")
    token: Secret = Field(None, description="Bearer token for the dashboard")
    session_secret: Secret = Field(None, description="Key that signs session cookies")


class LoggingSettings(_Section):
    format: Literal["console", "json"] = Field("console", description="console or json")
    level: Literal["debug", "info", "warning", "error"] = Field("info", description="Level")


class Settings(BaseSettings):
    """Everything the connector is configured with.  Build it with ``load_settings``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
        case_sensitive=False,
    )

    database_url: DatabaseUrl = Field(DEFAULT_DATABASE_URL, description="State database URL")
    token_key: TokenKey = Field(
        None, description="Key encrypting stored Shopify tokens (SHOPIFY_ODOO_TOKEN_KEY)"
    )
    odoo: OdooSettings
    stores: list[StoreSettings] = Field(default_factory=list)
    location_map: list[LocationRow] = Field(default_factory=list)
    sku_buffers: list[SkuBuffer] = Field(default_factory=list)
    pools: list[PoolSettings] = Field(default_factory=list)
    sync: SyncSettings = Field(default_factory=SyncSettings)
    dashboard: DashboardSettings = Field(default_factory=DashboardSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)

    _source: Path | None = PrivateAttr(None)
    _warnings: tuple[Problem, ...] = PrivateAttr(())
    _secret_origins: dict[str, str] = PrivateAttr(default_factory=dict)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The file and the environment are merged by ``load_settings`` (which knows the path
        # and reports every problem); direct construction takes only the given values.
        return (init_settings,)

    # -- what the loader recorded -------------------------------------------------------

    @property
    def source(self) -> Path | None:
        """The TOML file these settings came from."""
        return self._source

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """Problems that do not stop the connector (shown by ``check``)."""
        return self._warnings

    def secret_origin(self, path: str) -> str:
        """Where a secret came from: ``"file"``, the environment variable name, or ``""``."""
        return self._secret_origins.get(path, "")

    # -- lookups -------------------------------------------------------------------------

    def store(self, handle: str) -> StoreSettings:
        for store in self.stores:
            if store.handle == handle:
                return store
        raise KeyError(handle)

    def store_for_domain(self, shop_domain: str) -> StoreSettings | None:
        """The store a webhook's ``X-Shopify-Shop-Domain`` names (case-insensitive), if any."""
        wanted = shop_domain.strip().lower()
        return next((s for s in self.stores if s.shop_domain == wanted), None)

    def rows_for(self, handle: str) -> list[LocationRow]:
        return [row for row in self.location_map if row.store == handle]

    def pool(self, name: str) -> PoolSettings:
        """The allocation of a pool; a pool not listed in ``pools`` is shared."""
        for pool in self.pools:
            if pool.name == name:
                return pool
        return PoolSettings(name=name)

    def buffer_for(self, sku: str, row: LocationRow) -> int:
        """Safety stock for ``sku`` at ``row``: the most specific SKU override, else the row's."""
        best: tuple[int, int] | None = None
        for item in self.sku_buffers:
            if item.sku != sku:
                continue
            if item.store is not None and item.store != row.store:
                continue
            if item.shopify_location is not None and (
                location_key(item.shopify_location) != row.location_key
            ):
                continue
            rank = (item.store is not None) + (item.shopify_location is not None)
            if best is None or rank > best[0]:
                best = (rank, item.buffer)
        return row.buffer if best is None else best[1]

    def secret_values(self) -> list[str]:
        """Every secret value configured, for log redaction.  Never print these."""
        values: list[SecretStr | None] = [
            self.token_key,
            self.odoo.api_key,
            self.odoo.password,
            self.dashboard.password_hash,
            self.dashboard.token,
            self.dashboard.session_secret,
            self.sync.odoo_webhook_secret,
        ]
        for store in self.stores:
            values += [
                store.access_token,
                store.client_secret,
                store.refresh_token,
                store.webhook_secret,
            ]
        return [v.get_secret_value() for v in values if v is not None and v.get_secret_value()]
