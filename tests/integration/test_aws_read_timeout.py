"""An AWS call ended by botocore's read timeout reports that limit, not the call's."""

from __future__ import annotations

from typing import Any

import pytest

from asyncconsole import AwsTimeoutError
from asyncconsole._retry import NO_RETRY
from asyncconsole.infra.secrets import AwsSecretsManager
from asyncconsole.testing import MuteServer

pytestmark = pytest.mark.integration


async def test_a_read_timeout_reports_the_read_timeout(aws_env: dict[str, Any]) -> None:
    # It said "within 60s" (the whole call's limit) when the read timed out after 1 s.
    async with (
        MuteServer() as mute,
        AwsSecretsManager(
            region="us-east-1",
            endpoint_url=mute.url,
            request_timeout=60,
            read_timeout=1,
            retry=NO_RETRY,
        ) as secrets,
    ):
        with pytest.raises(AwsTimeoutError) as caught:
            await secrets.get_secret_string("db")
    assert caught.value.timeout == 1
    assert "within 1s" in str(caught.value), str(caught.value)
    assert "60" not in str(caught.value)
