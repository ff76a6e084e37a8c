"""Kafka: the Apache Kafka CLI tools console_link runs (``console kafka ...``).

``Kafka(config, executor=...)`` runs ``kafka-topics.sh``, ``kafka-consumer-groups.sh``,
``kafka-run-class.sh`` (GetOffsetShell) and ``kafka-console-consumer.sh`` with console_link's
exact arguments for standard, MSK IAM and SCRAM clusters::

    print(await env.kafka.list_topics())                 # KafkaResult; .lines() -> names
    desc = await env.kafka.describe_consumer_group()     # table + PARTITION TIME LAG
    records = await env.kafka.describe_topic_records()   # TOPIC/PARTITION/RECORDS table

On Kubernetes it also dumps a topic's records with the traffic replayer in a one-shot pod
(deleted afterwards whatever happens)::

    async with env.kafka.open_topic_dump("capture-proxy", mode="dump-http") as dump:
        async for line in dump.lines():
            print(line)
"""

from ._dump import (
    DUMP_CONTAINER,
    DUMP_MODES,
    DUMP_POD_TIMEOUT,
    DUMP_TOPIC,
    IMAGE_CONFIG_MAP,
    IMAGE_KEY,
    PULL_POLICY_KEY,
    SCRAM_PASSWORD_ENV,
    TopicDump,
    TopicDumpResult,
    dump_pod_manifest,
    dump_pod_name,
)
from ._kafka import (
    DEFAULT_CONSUMER_GROUP,
    DEFAULT_TIMEOUT,
    DEFAULT_TOPIC,
    GET_OFFSET_SHELL,
    PERF_DATA_OPTION,
    PROBE_TIMEOUT,
    PROBE_TIMEOUT_MS,
    Kafka,
)
from ._scram import scram_properties
from ._timelag import format_lag, parse_consumer_group, parse_offsets, parse_probe
from ._tools import CONTAINER_TOOLS_HOME, MSK_IAM_AUTH_PROPERTIES, KafkaToolLocator
from ._types import (
    ConsumerGroupDescription,
    ConsumerGroupPartition,
    KafkaResult,
    PartitionRecords,
    PartitionTimeLag,
    TopicRecords,
)

__all__ = [
    "CONTAINER_TOOLS_HOME",
    "DEFAULT_CONSUMER_GROUP",
    "DEFAULT_TIMEOUT",
    "DEFAULT_TOPIC",
    "DUMP_CONTAINER",
    "DUMP_MODES",
    "DUMP_POD_TIMEOUT",
    "DUMP_TOPIC",
    "GET_OFFSET_SHELL",
    "IMAGE_CONFIG_MAP",
    "IMAGE_KEY",
    "MSK_IAM_AUTH_PROPERTIES",
    "PERF_DATA_OPTION",
    "PROBE_TIMEOUT",
    "PROBE_TIMEOUT_MS",
    "PULL_POLICY_KEY",
    "SCRAM_PASSWORD_ENV",
    "ConsumerGroupDescription",
    "ConsumerGroupPartition",
    "Kafka",
    "KafkaResult",
    "KafkaToolLocator",
    "PartitionRecords",
    "PartitionTimeLag",
    "TopicDump",
    "TopicDumpResult",
    "TopicRecords",
    "dump_pod_manifest",
    "dump_pod_name",
    "format_lag",
    "parse_consumer_group",
    "parse_offsets",
    "parse_probe",
    "scram_properties",
]
