"""Every emulated model, in registration order."""

from __future__ import annotations

from ..orm import Model
from .account import (
    AccountTax,
    CrmTeam,
    DeliveryCarrier,
    ProductCategory,
    ProductPricelist,
    UomUom,
)
from .account_move import AccountAccount, AccountJournal, AccountMove, AccountMoveLine
from .account_wizards import AccountMoveReversal, SaleAdvancePaymentInv
from .base import (
    IrModel,
    IrModelData,
    ResCompany,
    ResCountry,
    ResCountryState,
    ResCurrency,
    ResGroups,
    ResUsers,
)
from .moves import StockMove, StockMoveLine
from .partner import ResPartner
from .picking import StockPicking
from .product import ProductProduct, ProductTemplate
from .sale import SaleOrder, SaleOrderLine
from .stock import StockLocation, StockPickingType, StockQuant, StockWarehouse
from .wizards import (
    SaleOrderCancel,
    StockBackorderConfirmation,
    StockBackorderConfirmationLine,
    StockImmediateTransfer,
    StockImmediateTransferLine,
    StockReturnPicking,
    StockReturnPickingLine,
)

ALL_MODELS: tuple[type[Model], ...] = (
    ResCurrency,
    ResCountry,
    ResCountryState,
    ResCompany,
    ResGroups,
    ResUsers,
    IrModel,
    IrModelData,
    ResPartner,
    AccountTax,
    CrmTeam,
    DeliveryCarrier,
    UomUom,
    ProductCategory,
    ProductPricelist,
    ProductTemplate,
    ProductProduct,
    StockLocation,
    StockWarehouse,
    StockPickingType,
    StockQuant,
    StockMove,
    StockMoveLine,
    StockPicking,
    StockBackorderConfirmation,
    StockBackorderConfirmationLine,
    StockReturnPicking,
    StockReturnPickingLine,
    SaleOrder,
    SaleOrderLine,
    SaleOrderCancel,
    AccountAccount,
    AccountJournal,
    AccountMove,
    AccountMoveLine,
    SaleAdvancePaymentInv,
    AccountMoveReversal,
)
#: 16 only (§3.7, §10)
V16_MODELS: tuple[type[Model], ...] = (StockImmediateTransfer, StockImmediateTransferLine)
