"""The resolver ``info`` type (graphql-core's GraphQLResolveInfo is generic)."""

from __future__ import annotations

from typing import Any, TypeAlias

from graphql import GraphQLResolveInfo

Info: TypeAlias = "GraphQLResolveInfo[Any]"
