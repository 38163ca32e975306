"""The network layer: an isolated VPC, endpoints, security groups and flow logs."""

from shared.components.network.network import Network, NetworkArgs
from shared.components.network.settings import EgressMode, NetworkSettings

__all__ = ["EgressMode", "Network", "NetworkArgs", "NetworkSettings"]
