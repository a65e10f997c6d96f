"""The AgentCore Runtime health check."""

from apis.inference_api.ping.routes import router

__all__ = ["router"]
