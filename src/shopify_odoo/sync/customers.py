"""Customers: which Odoo partner and which child addresses a Shopify order uses.

Decisions (DESIGN.md §1 "Customers"; Odoo fact sheet §5):

* The customer is merged by email, case-insensitively (``email_normalized`` style: the address
  inside ``Name <a@b>``, stripped, case-folded).  The phone is the fallback only when the order
  carries no email at all: two people sharing a phone (a household) with different emails stay
  two partners.  Several matches → the oldest partner (lowest id), deterministically.
* Guests: a guest checkout still carries the buyer's email/phone, and it is merged exactly like a
  customer account (Shopify itself attaches guest orders to a customer by email).  An order with
  neither email nor phone (a POS walk-in) goes to the store's configured generic guest partner;
  per-order partners would fill Odoo with one-off contacts nobody can search.
* Invoice and delivery addresses are child contacts of type ``invoice`` / ``delivery``.  An
  address equal (normalised: name, street, street2, city, zip, state, country) to an existing
  child of that type, or to the partner's own address, is reused; any difference creates a new
  child.  Existing contacts are never written: the addresses of past orders stay as they were.
* Country and state are matched by ISO code; an unknown code leaves the field empty with a
  warning (an address typo never blocks an order).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from shopify_odoo.sync.order_model import (
    Address,
    OdooAddress,
    OdooPartner,
    Problem,
    ShopifyOrder,
    reprocess_command,
)

MatchedBy = Literal["email", "phone", "guest_partner", "new"]


@dataclass(frozen=True, slots=True)
class PartnerValues:
    """Values of a ``res.partner`` to create (the parent is the plan's customer)."""

    name: str
    type: Literal["contact", "invoice", "delivery"] = "contact"
    email: str | None = None
    phone: str | None = None
    street: str | None = None
    street2: str | None = None
    city: str | None = None
    zip: str | None = None
    state_id: int | None = None
    country_id: int | None = None


@dataclass(frozen=True, slots=True)
class AddressTarget:
    """Which partner an order address uses: an existing one, a new child, or the customer."""

    existing_id: int | None = None
    create: PartnerValues | None = None

    @property
    def is_customer(self) -> bool:
        """True when the customer partner itself is the address."""
        return self.existing_id is None and self.create is None


@dataclass(frozen=True, slots=True)
class PartnerPlan:
    """``customer_id`` (existing) or ``create_customer`` (new), then the two addresses."""

    matched_by: MatchedBy
    customer_id: int | None
    create_customer: PartnerValues | None
    invoice: AddressTarget
    delivery: AddressTarget
    warnings: tuple[str, ...] = ()


def normalize_email(email: str | None) -> str | None:
    """``"Jane <Jane@Example.com> "`` → ``"jane@example.com"``; blank → None."""
    if not email:
        return None
    inside = re.search(r"<([^>]+)>", email)
    value = (inside.group(1) if inside else email).strip().casefold()
    return value or None


def normalize_phone(phone: str | None) -> str | None:
    """Digits only, international prefix ``+``/``00`` dropped; fewer than 6 digits → None."""
    if not phone:
        return None
    digits = re.sub(r"\D", "", phone)
    if phone.strip().startswith("00"):
        digits = digits[2:]
    return digits if len(digits) >= 6 else None


def _text(value: str | None) -> str:
    return " ".join((value or "").split()).casefold()


def _address_key(
    name: str, street: str | None, street2: str | None, city: str | None,
    zip_code: str | None, state_id: int | None, country_id: int | None,
) -> tuple[object, ...]:  # fmt: skip
    return (
        _text(name), _text(street), _text(street2), _text(city),
        _text(zip_code).replace(" ", ""), state_id, country_id,
    )  # fmt: skip


def _odoo_key(address: OdooAddress) -> tuple[object, ...]:
    return _address_key(
        address.name, address.street, address.street2, address.city,
        address.zip, address.state_id, address.country_id,
    )  # fmt: skip


def _values_key(values: PartnerValues) -> tuple[object, ...]:
    return _address_key(
        values.name, values.street, values.street2, values.city,
        values.zip, values.state_id, values.country_id,
    )  # fmt: skip


def address_values(
    address: Address,
    kind: Literal["invoice", "delivery"],
    fallback_name: str,
    countries: Mapping[str, int],
    states: Mapping[tuple[str, str], int],
    warnings: list[str],
    where: str,
) -> PartnerValues:
    """Child contact values for a Shopify address; unknown country/state codes are warned."""
    country_code = (address.country_code or "").upper() or None
    country_id = countries.get(country_code) if country_code else None
    if country_code and country_id is None:
        warnings.append(
            f"{where}: country code {country_code!r} has no active Odoo country; the {kind} "
            "address was created without a country: activate the country in Odoo and correct "
            "the contact"
        )
    state_id = None
    province = (address.province_code or "").upper() or None
    if province and country_code:
        state_id = states.get((country_code, province))
        if state_id is None and country_id is not None:
            warnings.append(
                f"{where}: state code {province!r} of country {country_code} is unknown in "
                f"Odoo; the {kind} address was created without a state"
            )
    name = address.name or (address.company or "").strip() or fallback_name
    return PartnerValues(
        name=name,
        type=kind,
        phone=address.phone or None,
        street=address.address1 or None,
        street2=address.address2 or None,
        city=address.city or None,
        zip=address.zip or None,
        state_id=state_id,
        country_id=country_id,
    )


def _customer_name(order: ShopifyOrder, email: str | None, phone: str | None) -> str:
    c = order.customer
    parts = [p.strip() for p in ((c.first_name, c.last_name) if c else ()) if p and p.strip()]
    if parts:
        return " ".join(parts)
    for address in (order.billing_address, order.shipping_address):
        if address and address.name:
            return address.name
    return email or phone or f"Shopify customer {order.client_order_ref}"


def _pick_partner(
    partners: Sequence[OdooPartner], email: str | None, phone: str | None
) -> tuple[OdooPartner | None, MatchedBy]:
    if email:
        found = [p for p in partners if normalize_email(p.email) == email]
        if found:
            return min(found, key=lambda p: p.id), "email"
        return None, "new"
    if phone:
        found = [p for p in partners if normalize_phone(p.phone) == phone]
        if found:
            return min(found, key=lambda p: p.id), "phone"
    return None, "new"


def _target(values: PartnerValues | None, partner: OdooPartner | None) -> AddressTarget:
    if values is None:
        return AddressTarget()
    if partner is not None:
        wanted = _values_key(values)
        same = [c for c in partner.children if c.type == values.type and _odoo_key(c) == wanted]
        if same:
            return AddressTarget(existing_id=min(c.id for c in same))
        if partner.own_address is not None and _odoo_key(partner.own_address) == wanted:
            return AddressTarget()
    return AddressTarget(create=values)


def lookup_keys(order: ShopifyOrder) -> tuple[str | None, str | None]:
    """The normalised email and phone the engine searches partners by (before planning).

    Search ``email_normalized =ilike <email>`` when an email is given; only without an email,
    search by phone (compare with :func:`normalize_phone` on the results)."""
    email = normalize_email(order.email) or normalize_email(
        order.customer.email if order.customer else None
    )
    phone = normalize_phone(order.phone) or normalize_phone(
        order.customer.phone if order.customer else None
    )
    if phone is None and order.billing_address is not None and email is None:
        phone = normalize_phone(order.billing_address.phone)
    return email, phone


def plan_partner(
    order: ShopifyOrder,
    partners: Sequence[OdooPartner],
    countries: Mapping[str, int],
    states: Mapping[tuple[str, str], int],
    guest_partner_id: int | None,
) -> PartnerPlan | Problem:
    """Decide the customer and its invoice/delivery contacts for ``order``.

    ``partners`` are the commercial partners the engine found by the order's email
    (``email_normalized =ilike``, archived included) and phone, each with its child contacts.
    Returns a :class:`Problem` only when an anonymous order meets a store without a guest partner.
    """
    email, phone = lookup_keys(order)
    warnings: list[str] = []
    where = f"order {order.name} of store {order.store}"
    partner, matched_by = _pick_partner(partners, email, phone)
    create_customer = None
    if email is None and phone is None:
        if guest_partner_id is None:
            return Problem(
                "guest_partner_missing",
                f"Order {order.name} (store {order.store}) has no email and no phone, and the "
                "store has no guest partner: set guest_partner_id in the store's order settings "
                "to an Odoo partner for anonymous sales, then run "
                f'"{reprocess_command(order)}"',
            )
        matched_by = "guest_partner"
        partner = next((p for p in partners if p.id == guest_partner_id), None)
    elif partner is None:
        create_customer = PartnerValues(
            name=_customer_name(order, email, phone),
            email=(order.email or (order.customer.email if order.customer else None) or None),
            phone=order.phone or (order.customer.phone if order.customer else None) or None,
        )
    fallback = _customer_name(order, email, phone)
    invoice_values = delivery_values = None
    if order.billing_address is not None:
        invoice_values = address_values(
            order.billing_address, "invoice", fallback, countries, states, warnings, where
        )
    if order.shipping_address is not None:
        delivery_values = address_values(
            order.shipping_address, "delivery", fallback, countries, states, warnings, where
        )
    customer_id = partner.id if partner is not None else None
    if matched_by == "guest_partner":
        customer_id = guest_partner_id
    return PartnerPlan(
        matched_by=matched_by,
        customer_id=customer_id,
        create_customer=create_customer,
        invoice=_target(invoice_values, partner),
        delivery=_target(delivery_values, partner),
        warnings=tuple(warnings),
    )
