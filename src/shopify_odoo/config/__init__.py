"""Settings: TOML file plus SHOPIFY_ODOO_* environment, store and location-map models.

Build the one ``Settings`` object with ``load_settings``; it raises ``ConfigInvalidError`` (a
``ConfigError``) listing every problem with its field path and fix.
"""

from .checks import check_settings, validate_location_rows
from .credentials import MODE_LABEL, store_env_var
from .loader import (
    CONFIG_ENV,
    load_settings,
    read_toml,
    resolve_config_path,
    settings_from_mapping,
)
from .models import (
    DEFAULT_CONFIG_FILE,
    DEFAULT_DATABASE_URL,
    ENV_PREFIX,
    DashboardSettings,
    LocationRow,
    LoggingSettings,
    OdooSettings,
    PoolSettings,
    Settings,
    SkuBuffer,
    StoreSettings,
    SyncSettings,
    location_key,
)
from .problems import ConfigInvalidError, Problem
from .template import example_config

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_CONFIG_FILE",
    "DEFAULT_DATABASE_URL",
    "ENV_PREFIX",
    "MODE_LABEL",
    "ConfigInvalidError",
    "DashboardSettings",
    "LocationRow",
    "LoggingSettings",
    "OdooSettings",
    "PoolSettings",
    "Problem",
    "Settings",
    "SkuBuffer",
    "StoreSettings",
    "SyncSettings",
    "check_settings",
    "example_config",
    "load_settings",
    "location_key",
    "read_toml",
    "resolve_config_path",
    "settings_from_mapping",
    "store_env_var",
    "validate_location_rows",
]
