"""File uploads of chat sessions: presigned S3 uploads, completion, listing, deletion, storage quota."""

from apis.app_api.files.routes import router

__all__ = ["router"]
