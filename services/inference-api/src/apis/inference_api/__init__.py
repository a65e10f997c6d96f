"""inference-api: streamed chat behind Amazon Bedrock AgentCore Runtime (port 8080)."""

SERVICE_NAME = "inference-api"

__all__ = ["SERVICE_NAME"]
