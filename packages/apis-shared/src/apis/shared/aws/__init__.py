"""AWS plumbing shared by every repository: error translation, client settings, item conversion, batch reads.

Importing this package imports botocore; ``import apis.shared`` alone does not.
"""

from apis.shared.aws.batch import batch_get_all
from apis.shared.aws.config import client_config, s3_client_config
from apis.shared.aws.dynamodb import UnstorableNumberError, from_item, plain, to_item
from apis.shared.aws.errors import (
    CONDITIONAL_CHECK_FAILED,
    DependencyAccessDeniedError,
    DependencyThrottledError,
    client_error_code,
    is_conditional_check_failure,
    translate_aws_errors,
)
from apis.shared.aws.tables import GlobalIndex, TableDefinition, create_table

__all__ = [
    "CONDITIONAL_CHECK_FAILED",
    "DependencyAccessDeniedError",
    "DependencyThrottledError",
    "GlobalIndex",
    "TableDefinition",
    "UnstorableNumberError",
    "batch_get_all",
    "client_config",
    "client_error_code",
    "create_table",
    "from_item",
    "is_conditional_check_failure",
    "plain",
    "s3_client_config",
    "to_item",
    "translate_aws_errors",
]
